// Shared by the stage 05 tests: a loop on a virtual clock whose reports are captured, a clock the
// test sets by hand, and a selector that records the timeouts it is asked for.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/frames.hpp"
#include "run.hpp"

namespace stage05_test {

using namespace looplab;

// A loop on a virtual clock; every report of its exception handler lands in `reports`.
struct LoopFixture {
    std::vector<ErrorContext> reports;
    VirtualClock clock;
    EventLoop loop{clock};
    LoopFixture() {
        loop.set_exception_handler([this](const ErrorContext& ctx) { reports.push_back(ctx); });
    }
    // How many reports start with `message`.
    [[nodiscard]] int reported(std::string_view message) const {
        int n = 0;
        for (const auto& r : reports)
            if (r.message.rfind(message, 0) == 0) ++n;
        return n;
    }
};

// One iteration with a zero select timeout, as the running loop (so tasks can find it): stop() before
// run_forever() runs exactly one iteration (C10). asyncio's tests call this run_briefly().
inline void step(EventLoop& loop) {
    loop.stop();
    loop.run_forever();
}

// A clock that only moves when the test says so, and that claims to be real so the loop hands the
// selector the timeout it computed (the virtual clock's loop polls with 0 and jumps instead).
class ManualClock final : public Clock {
public:
    [[nodiscard]] Duration now() const override { return now_; }
    void sleep_until(Duration deadline) override {
        if (deadline > now_) now_ = deadline;
    }
    [[nodiscard]] bool is_virtual() const override { return false; }
    Duration now_{0};
};

// Records each select() timeout and returns no events; pretends to watch `watched` fds.
class RecordingSelector final : public Selector {
public:
    explicit RecordingSelector(std::vector<std::optional<Duration>>* log) : log_(log) {}
    void set_interest(int, bool, bool) override {}
    std::vector<ReadyFd> select(std::optional<Duration> timeout) override {
        log_->push_back(timeout);
        return {};
    }
    [[nodiscard]] std::size_t size() const override { return watched; }
    std::size_t watched = 1;

private:
    std::vector<std::optional<Duration>>* log_;
};

// Frames allocated since construction and not freed yet.
struct FrameCheck {
    frames::Counts start = frames::counts();
    [[nodiscard]] long long alive() const { return frames::counts().alive() - start.alive(); }
};

} // namespace stage05_test
