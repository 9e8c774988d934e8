// Shared by the conformance tests (compiled against every stage that offers the behaviour): a loop on a virtual clock whose reports are captured, a clock the
// test sets by hand, and a selector that records the timeouts it is asked for.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <string>
#include <string_view>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/frames.hpp"
#include "looplab/trace.hpp"
#include "run.hpp"

namespace conformance_test {

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

// Records each select() timeout and returns no events; pretends to watch `watched` fds, besides those
// the loop registers itself (stage 08's loop watches its own wake-up fd).
class RecordingSelector final : public Selector {
public:
    explicit RecordingSelector(std::vector<std::optional<Duration>>* log) : log_(log) {}
    void set_interest(int fd, bool read, bool write) override {
        if (read || write) registered_.insert(fd);
        else registered_.erase(fd);
    }
    std::vector<ReadyFd> select(std::optional<Duration> timeout) override {
        log_->push_back(timeout);
        return {};
    }
    [[nodiscard]] std::size_t size() const override { return watched + registered_.size(); }
    std::size_t watched = 1;

private:
    std::vector<std::optional<Duration>>* log_;
    std::set<int> registered_;
};

// Frames allocated since construction and not freed yet.
struct FrameCheck {
    frames::Counts start = frames::counts();
    [[nodiscard]] long long alive() const { return frames::counts().alive() - start.alive(); }
};

// How many trace events of `who` with kind `kind` have a detail starting with `prefix`.
inline int events(const Tracer& trace, TraceKind kind, const std::string& who, const std::string& prefix) {
    int n = 0;
    for (const TraceEvent& e : trace.events())
        if (e.kind == kind && trace.tasks()[static_cast<std::size_t>(e.task)] == who && e.detail.rfind(prefix, 0) == 0) ++n;
    return n;
}

// The selector a traced loop watches fds with: select(), or the run's choice in a stage that lets a
// run choose (stage 08: tests/CMakeLists.txt runs its conformance tests on each selector).
inline std::unique_ptr<Selector> test_selector() {
#ifdef LOOPLAB_STAGE_CHOOSES_SELECTOR
    return make_selector();
#else
    return std::make_unique<SelectSelector>();
#endif
}

// A loop fixture whose tracer keeps every event.
struct TracedLoop {
    std::vector<ErrorContext> reports;
    VirtualClock clock;
    Tracer trace{clock};
    EventLoop loop{clock, test_selector(), &trace};
    TracedLoop() {
        trace.keep_events(true);
        loop.set_exception_handler([this](const ErrorContext& ctx) { reports.push_back(ctx); });
    }
};

// The error a coroutine raised, as "code|what" (empty when it raised nothing).
template <typename T>
Coroutine<std::string> error_of(Coroutine<T> op) {
    std::string caught;
    try {
        co_await op;
    } catch (const std::system_error& e) {
        caught = std::to_string(e.code().value()) + "|" + e.what();
    }
    co_return caught;
}

// Coroutines the library tests share: a sleeper that logs how it ended, a value or a failure after a delay.
inline Coroutine<void> sleeper(double d, std::vector<std::string>* log) {
    try {
        co_await sleep(d);
        log->push_back("woke");
    } catch (const CancelledError&) {
        log->push_back("cancelled");
        throw;
    }
}
inline Coroutine<int> value_after(double d, int v) {
    co_await sleep(d);
    co_return v;
}
inline Coroutine<int> fail_after(double d, std::string what) {
    co_await sleep(d);
    throw std::runtime_error(what);
}
// Two ways to meet a cancellation while waiting for `fut`: log its message and let it go on, or
// swallow it and return (cancellation is a request).
inline Coroutine<int> catch_cancel(Future<int> fut, std::vector<std::string>* log) {
    try {
        co_await fut;
    } catch (const CancelledError& e) {
        log->push_back("caught: " + e.message());
        throw;
    }
    co_return 0;
}
inline Coroutine<std::string> stubborn(Future<int> fut) {
    try {
        co_await fut;
    } catch (const CancelledError&) {
        co_return "refused to die";
    }
    co_return "normal";
}

} // namespace conformance_test
