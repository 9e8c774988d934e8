/// @file
/// @brief Clocks: the real steady clock, and a virtual one that jumps instead of sleeping.
///
/// Every loop in looplab asks a Clock two things: "what time is it?" and "let me wait until this
/// deadline". Time is measured from the moment the clock was made, so a demo always starts at 0 s and
/// its narration can print "0.300s" instead of a huge steady-clock number.
///
/// The virtual clock is how a demo of hours runs in milliseconds and prints the same thing every
/// time: when a loop would sleep, the virtual clock simply moves its hand to the deadline. It is the
/// trick CPython's own asyncio tests use (a test loop whose time jumps when it would wait).
///
/// What it leaves out: wall-clock time. A loop must never use it, because the wall clock can jump
/// backwards (NTP, a user changing the time) and a timer would then fire late or never.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace looplab {

/// Durations and instants are nanoseconds since the clock was made. One type for both keeps the
/// arithmetic a student writes (deadline = now + delay) free of conversions.
using Duration = std::chrono::nanoseconds;

/// Shorthand for a number of seconds as a Duration, so demos can write `seconds(0.1)`.
Duration seconds(double s);

/// A Duration as seconds, for printing and for comparing with Python's float seconds.
double to_seconds(Duration d);

/// Formats an instant as "1.250s" (three decimals, always), the form every transcript uses.
std::string format_time(Duration t);

/// What every loop needs from time.
class Clock {
public:
    virtual ~Clock() = default;
    /// Time since this clock was made.
    [[nodiscard]] virtual Duration now() const = 0;
    /// Returns once now() >= deadline. A deadline in the past returns at once.
    virtual void sleep_until(Duration deadline) = 0;
    /// Occupies the caller for `d`: the real clock blocks the thread, the virtual clock advances.
    /// Demos use it to stand for CPU work or a blocking call, so it shows up on either clock.
    void busy_for(Duration d) { sleep_until(now() + d); }
    /// True for the virtual clock. A loop that also waits on file descriptors needs to know, because
    /// a virtual clock cannot make data arrive sooner (stage 03 explains what it does then).
    [[nodiscard]] virtual bool is_virtual() const = 0;
    /// "real" or "virtual".
    [[nodiscard]] std::string_view name() const { return is_virtual() ? "virtual" : "real"; }
};

/// std::chrono::steady_clock, measured from construction. Monotonic: it never goes backwards.
class RealClock final : public Clock {
public:
    RealClock();
    [[nodiscard]] Duration now() const override;
    void sleep_until(Duration deadline) override;
    [[nodiscard]] bool is_virtual() const override { return false; }

private:
    std::chrono::steady_clock::time_point start_;
};

/// A clock whose hand moves only when someone waits: sleep_until(deadline) sets now() to deadline
/// and returns at once. Nothing else advances it, so a run is a pure function of its inputs.
class VirtualClock final : public Clock {
public:
    [[nodiscard]] Duration now() const override { return now_; }
    void sleep_until(Duration deadline) override;
    [[nodiscard]] bool is_virtual() const override { return true; }
    /// Moves the hand forward by `d` (tests use it to step time by hand).
    void advance(Duration d) { sleep_until(now_ + d); }

private:
    Duration now_{0};
};

/// Makes the clock the command line asked for: "real" or "virtual".
std::unique_ptr<Clock> make_clock(std::string_view kind);

} // namespace looplab
