#include "looplab/clock.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace looplab {

Duration seconds(double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::string format_time(Duration t) {
    // Round to the millisecond by integer arithmetic, so the virtual clock's exact instants print the
    // same on every machine (a double would print 0.30000000000000004 one day).
    const auto ms = std::chrono::round<std::chrono::milliseconds>(t).count();
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%lld.%03llds", ms < 0 ? "-" : "", std::llabs(ms) / 1000,
                  std::llabs(ms) % 1000);
    return buf;
}

RealClock::RealClock() : start_(std::chrono::steady_clock::now()) {}

Duration RealClock::now() const {
    return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start_);
}

void RealClock::sleep_until(Duration deadline) {
    // sleep_until on the steady clock, not sleep_for: a signal or a spurious early wake-up cannot make
    // us return before the deadline.
    std::this_thread::sleep_until(start_ + deadline);
}

void VirtualClock::sleep_until(Duration deadline) {
    if (deadline > now_) now_ = deadline;   // never backwards: a past deadline is already due
}

std::unique_ptr<Clock> make_clock(std::string_view kind) {
    if (kind == "real") return std::make_unique<RealClock>();
    if (kind == "virtual") return std::make_unique<VirtualClock>();
    throw std::invalid_argument("unknown clock kind: " + std::string(kind));
}

} // namespace looplab
