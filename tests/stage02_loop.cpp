// Stage 02, loop.hpp: the loop's dispatch, its schedule on the virtual clock, list and heap
// agreeing, ties first come first served, the trace, and an escaping exception.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/frames.hpp"
#include "looplab/trace.hpp"
#include "loop.hpp"

using namespace looplab;

namespace {
struct Entry {
    std::string who;
    int step;
    Duration at;
    bool operator==(const Entry&) const = default;
};
using Log = std::vector<Entry>;

// Sleeps the given delays in turn, logging each wake-up.
Coroutine<> sleeper(std::string name, std::vector<double> delays, const Clock* clock, Log* log) {
    int step = 0;
    for (double d : delays) {
        co_await Sleep{clock->now() + seconds(d)};
        log->push_back({name, ++step, clock->now()});
    }
}

Coroutine<> nester(std::string name, int steps, const Clock* clock, Log* log) {
    for (int i = 1; i <= steps; ++i) {
        co_await sleep(clock, seconds(0.3));
        log->push_back({name, i, clock->now()});
    }
}

Coroutine<> failer(const Clock* clock) {
    co_await Sleep{clock->now() + seconds(0.25)};
    throw std::runtime_error("boom");
}

// Many tasks with pseudo-random delays, many of them equal (ties), some zero.
Log schedule(QueueKind kind) {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace, kind);
    unsigned x = 12345;
    for (int t = 0; t < 40; ++t) {
        std::vector<double> delays;
        for (int s = 0; s < 6; ++s) {
            x = x * 1103515245u + 12345u;
            delays.push_back(static_cast<double>((x >> 16) % 5) * 0.1);   // 0, 0.1, ..., 0.4: plenty of ties
        }
        loop.spawn("t" + std::to_string(t), sleeper("t" + std::to_string(t), delays, &clock, &log));
    }
    loop.spawn("n", nester("n", 4, &clock, &log));
    loop.run();
    return log;
}
} // namespace

TEST_CASE("five sleepers x five steps of 0.1 s finish at 0.5 s of virtual time, interleaved") {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace);
    for (int i = 1; i <= 5; ++i)
        loop.spawn("s" + std::to_string(i), sleeper("s" + std::to_string(i), {0.1, 0.1, 0.1, 0.1, 0.1}, &clock, &log));
    loop.run();
    CHECK(clock.now() == seconds(0.5));
    REQUIRE(log.size() == 25);
    for (std::size_t i = 0; i < log.size(); ++i) {
        CHECK(log[i].who == "s" + std::to_string(i % 5 + 1));
        CHECK(log[i].step == static_cast<int>(i / 5) + 1);
        CHECK(log[i].at == seconds(0.1) * static_cast<int>(i / 5 + 1));
    }
    CHECK(loop.stats().resumes == 30);
    CHECK(loop.waiting() == 0);
}

TEST_CASE("the sorted list and the heap give the identical schedule") {
    const Log list = schedule(QueueKind::List);
    const Log heap = schedule(QueueKind::Heap);
    CHECK(list.size() == 40 * 6 + 4);
    CHECK(list == heap);
}

TEST_CASE("ties in wake time run in the order they were filed, with either queue") {
    for (QueueKind kind : {QueueKind::List, QueueKind::Heap}) {
        CAPTURE(to_string(kind));
        VirtualClock clock;
        Tracer trace(clock);
        Log log;
        SleepLoop loop(clock, trace, kind);
        // c files its 0.2 s deadline first (delay 0.2 at t=0); a and b reach 0.2 via 0.1 + 0.1 and
        // file theirs at 0.1, in spawn order. So at 0.2: c, then a, then b.
        loop.spawn("a", sleeper("a", {0.1, 0.1}, &clock, &log));
        loop.spawn("b", sleeper("b", {0.1, 0.1}, &clock, &log));
        loop.spawn("c", sleeper("c", {0.2}, &clock, &log));
        loop.run();
        const Log expected{{"a", 1, seconds(0.1)}, {"b", 1, seconds(0.1)}, {"c", 1, seconds(0.2)},
                           {"a", 2, seconds(0.2)}, {"b", 2, seconds(0.2)}};
        CHECK(log == expected);
    }
}

TEST_CASE("the timer queue pops earliest first, ties in filing order, for both kinds") {
    for (QueueKind kind : {QueueKind::List, QueueKind::Heap}) {
        TimerQueue q(kind);
        const std::vector<Timer> in{{seconds(3), 0, 0}, {seconds(1), 1, 1}, {seconds(2), 2, 2},
                                    {seconds(1), 3, 3}, {seconds(0), 4, 4}, {seconds(2), 5, 5}};
        for (const Timer& t : in) q.push(t);
        std::vector<std::size_t> order;
        while (!q.empty()) order.push_back(q.pop().task);
        CHECK(order == std::vector<std::size_t>{4, 1, 3, 2, 5, 0});
    }
}

TEST_CASE("a sleep into the past is due at once and time never goes backwards") {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace);
    loop.spawn("late", sleeper("late", {0.5, -1.0, 0.0}, &clock, &log));
    loop.run();
    const Log expected{{"late", 1, seconds(0.5)}, {"late", 2, seconds(0.5)}, {"late", 3, seconds(0.5)}};
    CHECK(log == expected);
}

TEST_CASE("the loop reports every decision to the tracer: resume, suspend with the event, timer due, done") {
    VirtualClock clock;
    Tracer trace(clock);
    trace.keep_events(true);
    Log log;
    SleepLoop loop(clock, trace);
    loop.spawn("n", nester("n", 1, &clock, &log));
    loop.run();
    std::vector<std::string> seen;
    for (const TraceEvent& e : trace.events())
        seen.push_back(std::string(to_string(e.kind)) + " " + e.detail + " @" + format_time(e.at));
    const std::vector<std::string> expected{
        "resume first run @0.000s",
        "suspend Sleep until 0.150s  (from 2 frames down) @0.000s",
        "timer-due Sleep until 0.150s @0.150s",
        "resume  @0.150s",
        "suspend Sleep until 0.300s  (from 2 frames down) @0.150s",
        "timer-due Sleep until 0.300s @0.300s",
        "resume  @0.300s",
        "done  @0.300s",
    };
    CHECK(seen == expected);
}

TEST_CASE("an exception escaping a task stops run() naming the task, and every frame is still destroyed") {
    const auto before = frames::counts().alive();
    VirtualClock clock;
    Tracer trace(clock);
    trace.keep_events(true);
    Log log;
    {
        SleepLoop loop(clock, trace);
        loop.spawn("steady", nester("steady", 10, &clock, &log));
        loop.spawn("failer", failer(&clock));
        try {
            loop.run();
            FAIL("run() should have thrown");
        } catch (const TaskError& e) {
            CHECK(e.task() == "failer");
            CHECK(std::string(e.what()) == "task 'failer' failed: boom");
            CHECK_THROWS_WITH_AS(std::rethrow_exception(e.error()), "boom", std::runtime_error);
        }
        CHECK(clock.now() == seconds(0.25));
        CHECK(trace.events().back().kind == TraceKind::Error);
        // steady is suspended inside sleep() > half_sleep(): three frames, still alive...
        CHECK(frames::counts().alive() == before + 3);
        CHECK(loop.waiting() == 1);
    }
    // ...until the loop is destroyed.
    CHECK(frames::counts().alive() == before);
}
