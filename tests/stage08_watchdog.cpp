// Stage 08's Watchdog: one report per stall, naming the callback, and none while the loop sleeps in
// the selector. A stalled callback waits for the report itself (with a deadline, so a broken watchdog
// fails the test instead of hanging it), rather than sleeping and hoping.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "run.hpp"

using namespace looplab;
using namespace std::chrono_literals;

namespace {
// Where the watchdog's thread leaves its reports.
struct Reports {
    std::mutex mutex;
    std::condition_variable arrived;
    std::vector<std::string> lines;
    void add(const std::string& line) {
        { std::lock_guard lock(mutex); lines.push_back(line); }
        arrived.notify_all();
    }
    // Blocks the caller (the loop's thread: that is the stall) until `n` reports, or 5 s.
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mutex);
        return arrived.wait_for(lock, 5s, [&] { return lines.size() >= n; });
    }
    std::size_t count() { std::lock_guard lock(mutex); return lines.size(); }
};
} // namespace

TEST_CASE("watchdog: one report per stall, naming the callback and when it began; none while the loop sleeps") {
    for (SelectorKind kind : {SelectorKind::epoll, SelectorKind::select}) {
        CAPTURE(selector_name(kind));
        Reports reports;
        Watchdog dog(20ms, [&reports](const std::string& line) { reports.add(line); });
        RealClock clock;
        EventLoop loop(clock, make_selector(kind));
        loop.set_watchdog(&dog);
        bool first = false, second = false;
        // The loop sleeps 150 ms in the selector first (a timer, nothing else): no report.
        loop.call_later(150ms, [&] {
            first = reports.wait_for(1);   // stall 1 lasts until the watchdog has spoken...
            std::this_thread::sleep_for(100ms);   // ...and goes on for five thresholds more: still one report
        }, "stall one");
        loop.call_later(300ms, [&] { second = reports.wait_for(2); }, "stall two");
        loop.call_later(310ms, [&] { loop.stop(); });
        const std::size_t before = reports.count();
        loop.run_forever();
        CHECK(before == 0);
        CHECK(first);
        CHECK(second);
        REQUIRE(reports.count() == 2);
        CHECK(reports.lines[0].find("running stall one for") != std::string::npos);
        CHECK(reports.lines[0].find("(since loop time 0.1") != std::string::npos);   // 0.15 s, give or take
        CHECK(reports.lines[1].find("running stall two for") != std::string::npos);
        CHECK(dog.reports() == 2);
        loop.close();
    }
}

TEST_CASE("watchdog: a loop asleep in the selector for 10 thresholds, then many short callbacks: no report") {
    Reports reports;
    Watchdog dog(50ms, [&reports](const std::string& line) { reports.add(line); });
    RealClock clock;
    EventLoop loop(clock);
    loop.set_watchdog(&dog);
    int ran = 0;
    // Scheduled before the run, so that no callback does more than add one to `ran` (a callback that
    // scheduled the thousand itself took over 10 ms under ThreadSanitizer: a stall the watchdog reported).
    for (int i = 0; i < 1000; ++i) loop.call_later(500ms, [&ran] { ++ran; });
    loop.call_later(550ms, [&] { loop.stop(); });
    loop.run_forever();
    CHECK(ran == 1000);
    CHECK(reports.count() == 0);
    loop.close();
}

TEST_CASE("watchdog: run() with RunOptions::watchdog names a task's step") {
    Reports reports;
    RunOptions opts;
    opts.watchdog = 20ms;
    opts.watchdog_report = [&reports](const std::string& line) { reports.add(line); };
    RealClock clock;
    auto selfish = [](Reports* r) -> Coroutine<bool> { co_return r->wait_for(1); };
    CHECK(run(selfish(&reports), clock, opts));
    REQUIRE(reports.count() == 1);
    CHECK(reports.lines[0].find("running <Task main>") != std::string::npos);
}
