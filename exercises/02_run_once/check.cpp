// Exercise 02_run_once: one turn of SleepLoop. Everything runs on the virtual clock, so the checks
// read exact instants and no check waits.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/trace.hpp"
#include "loop.hpp"

using namespace looplab;

namespace {
struct Wake {
    std::string who;
    Duration at;
    bool operator==(const Wake&) const = default;
    friend std::ostream& operator<<(std::ostream& out, const Wake& w) {
        return out << w.who << "@" << std::chrono::duration<double>(w.at).count() << "s";
    }
};
using Log = std::vector<Wake>;

Coroutine<> sleeper(std::string name, std::vector<double> delays, const Clock* clock, Log* log) {
    for (double d : delays) {
        co_await Sleep{clock->now() + seconds(d)};
        log->push_back({name, clock->now()});
    }
}
} // namespace

TEST_CASE("a turn of an empty loop does nothing" *
          doctest::description("with no timers filed there is no deadline to wait for: return at once")) {
    VirtualClock clock;
    Tracer trace(clock);
    SleepLoop loop(clock, trace);
    loop.run_once();
    CHECK(clock.now() == Duration{0});
    CHECK(loop.stats().resumes == 0);
}

TEST_CASE("the first turn starts every spawned task, in spawn order" *
          doctest::description("spawn() files each task with a deadline of now: all are due in the first turn; "
                               "pop them with timers_.pop() and step() each one")) {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace);
    loop.spawn("a", sleeper("a", {0.3}, &clock, &log));
    loop.spawn("b", sleeper("b", {0.1}, &clock, &log));
    loop.run_once();
    CHECK(loop.stats().resumes == 2);
    CHECK(loop.waiting() == 2);
    CHECK(log.empty());
}

TEST_CASE("a turn waits for the earliest deadline and runs only who is due" *
          doctest::description("phase 1 is clock_.sleep_until(timers_.top().when); phase 2 stops at the first "
                               "timer whose deadline is still in the future (compare with clock_.now())")) {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace);
    loop.spawn("a", sleeper("a", {0.3}, &clock, &log));
    loop.spawn("b", sleeper("b", {0.1}, &clock, &log));
    loop.run_once();                       // starts both
    loop.run_once();                       // b is due at 0.1; a is not
    CHECK(clock.now() == seconds(0.1));
    CHECK(log == Log{{"b", seconds(0.1)}});
    loop.run_once();
    CHECK(clock.now() == seconds(0.3));
    CHECK(log == Log{{"b", seconds(0.1)}, {"a", seconds(0.3)}});
    CHECK(loop.waiting() == 0);
}

TEST_CASE("everyone due at the same instant runs in one turn, in filing order" *
          doctest::description("phase 2 is a loop, not a single pop: keep popping while the top is due")) {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace);
    for (const char* name : {"x", "y", "z"}) loop.spawn(name, sleeper(name, {0.2}, &clock, &log));
    loop.run_once();
    loop.run_once();
    CHECK(log == Log{{"x", seconds(0.2)}, {"y", seconds(0.2)}, {"z", seconds(0.2)}});
}

TEST_CASE("a task that files a deadline already past runs again in the same turn" *
          doctest::description("the due-check must be made again after every step(): a task may file a new "
                               "timer that is due now")) {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace);
    loop.spawn("late", sleeper("late", {0.5, -1.0, 0.0}, &clock, &log));
    loop.run_once();                       // starts it: it files 0.5
    loop.run_once();                       // at 0.5: wakes, files 0.5 - 1.0, wakes, files 0.5, wakes, ends
    CHECK(log == Log{{"late", seconds(0.5)}, {"late", seconds(0.5)}, {"late", seconds(0.5)}});
    CHECK(loop.waiting() == 0);
}

TEST_CASE("five sleepers x five steps of 0.1 s finish at 0.5 s, not 2.5 s" *
          doctest::description("if the single-turn checks pass and this fails, look at what run() expects of "
                               "run_once(): every turn must make progress")) {
    VirtualClock clock;
    Tracer trace(clock);
    Log log;
    SleepLoop loop(clock, trace);
    for (int i = 1; i <= 5; ++i)
        loop.spawn("s" + std::to_string(i), sleeper("s" + std::to_string(i), {0.1, 0.1, 0.1, 0.1, 0.1}, &clock, &log));
    loop.run();
    CHECK(clock.now() == seconds(0.5));
    CHECK(log.size() == 25);
    CHECK(loop.stats().resumes == 30);
}
