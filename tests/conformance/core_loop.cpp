// The event loop: C01-C14 and C52, plus the selector's guards. Compiled against stage 05 and every later stage.
#include <doctest/doctest.h>

#include <unistd.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <vector>

#include "looplab/fd.hpp"
#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;

TEST_CASE("C01 call_soon callbacks run FIFO, each exactly once") {
    LoopFixture f;
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) f.loop.call_soon([&order, i] { order.push_back(i); });
    f.loop.run_once();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    f.loop.call_soon([&f] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(order.size() == 5);   // nobody ran twice
}

TEST_CASE("C02 a callback scheduled during an iteration runs in the next one") {
    LoopFixture f;
    std::vector<std::string> log;
    f.loop.call_soon([&] {
        log.push_back("a");
        f.loop.call_soon([&] { log.push_back("c"); });
    });
    f.loop.call_soon([&] { log.push_back("b"); });
    f.loop.run_once();
    CHECK(log == std::vector<std::string>{"a", "b"});
    CHECK(f.loop.ready_count() == 1);
    f.loop.run_once();
    CHECK(log == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("C03 timers run in deadline order, equal deadlines in scheduling order") {
    LoopFixture f;
    std::vector<int> order;
    f.loop.call_later(seconds(0.3), [&] { order.push_back(3); });
    f.loop.call_later(seconds(0.1), [&] { order.push_back(1); });
    f.loop.call_later(seconds(0.2), [&] { order.push_back(20); });
    f.loop.call_later(seconds(0.2), [&] { order.push_back(21); });
    f.loop.call_later(seconds(0.2), [&] { order.push_back(22); });
    f.loop.call_later(seconds(0.4), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(order == std::vector<int>{1, 20, 21, 22, 3});
    CHECK(f.loop.time() == seconds(0.4));
}

TEST_CASE("C04 negative and zero delays are allowed and run in deadline order") {
    LoopFixture f;
    std::vector<int> order;
    f.loop.call_later(seconds(0), [&] { order.push_back(0); });
    f.loop.call_later(seconds(-1), [&] { order.push_back(-1); });
    f.loop.call_later(seconds(-2), [&] { order.push_back(-2); });
    f.loop.run_once();
    CHECK(order == std::vector<int>{-2, -1, 0});
    CHECK(f.loop.time() == Duration{0});   // nothing waited
}

TEST_CASE("C05 the select timeout: 0 when ready or stopping, time to the first timer clamped, else none") {
    std::vector<std::optional<Duration>> timeouts;
    conformance_test::ManualClock clock;
    EventLoop loop(clock, std::make_unique<conformance_test::RecordingSelector>(&timeouts));
    loop.call_soon([] {});
    loop.run_once();                                  // a callback was ready: poll
    loop.call_later(seconds(2), [] {});
    loop.run_once();                                  // only a timer: wait until it is due
    clock.now_ = seconds(1.5);
    loop.run_once();                                  // half a second left
    clock.now_ = seconds(2);
    loop.run_once();                                  // due now: zero, and it runs
    loop.call_later(std::chrono::hours(24 * 3), [] {});
    loop.run_once();                                  // clamped to one day
    loop.stop();
    loop.run_once();                                  // stopping: poll
    REQUIRE(timeouts.size() == 6);
    CHECK(timeouts[0] == Duration{0});
    CHECK(timeouts[1] == seconds(2));
    CHECK(timeouts[2] == seconds(0.5));
    CHECK(timeouts[3] == Duration{0});
    CHECK(timeouts[4] == std::chrono::hours(24));
    CHECK(timeouts[5] == Duration{0});

    // Nothing ready, no timer, but an fd is watched: wait without a timeout.
    std::vector<std::optional<Duration>> timeouts2;
    conformance_test::ManualClock clock2;
    EventLoop loop2(clock2, std::make_unique<conformance_test::RecordingSelector>(&timeouts2));
    loop2.run_once();
    REQUIRE(timeouts2.size() == 1);
    CHECK_FALSE(timeouts2[0].has_value());
}

TEST_CASE("C06 one iteration: I/O callbacks run before timers that fell due in the same iteration") {
    LoopFixture f;
    Pipe p = make_pipe();
    std::vector<std::string> order;
    f.loop.call_later(seconds(1), [&] { order.push_back("timer"); });
    f.loop.add_reader(p.read.get(), [&] {
        order.push_back("reader");
        f.loop.remove_reader(p.read.get());
    });
    REQUIRE(::write(p.write.get(), "x", 1) == 1);
    f.clock.advance(seconds(2));   // the timer is overdue and the fd is readable: one iteration sees both
    f.loop.run_once();
    CHECK(order == std::vector<std::string>{"reader", "timer"});
}

TEST_CASE("C07 a timer due within the clock resolution runs without another wait") {
    // A real-clock loop whose select() returns at once without time passing: the timer is 0.5 ms away.
    std::vector<std::optional<Duration>> timeouts;
    conformance_test::ManualClock clock;
    EventLoop loop(clock, std::make_unique<conformance_test::RecordingSelector>(&timeouts));
    loop.set_clock_resolution(std::chrono::milliseconds(1));
    bool ran = false;
    loop.call_later(std::chrono::microseconds(500), [&] { ran = true; });
    loop.run_once();
    CHECK(ran);   // within the resolution: due now, no spin
    // With a 1 ns resolution the same timer is not due yet: the loop would have to go round again.
    std::vector<std::optional<Duration>> timeouts2;
    conformance_test::ManualClock clock2;
    EventLoop loop2(clock2, std::make_unique<conformance_test::RecordingSelector>(&timeouts2));
    bool ran2 = false;
    loop2.call_later(std::chrono::microseconds(500), [&] { ran2 = true; });
    loop2.run_once();
    CHECK_FALSE(ran2);
    clock2.now_ = std::chrono::microseconds(500);
    loop2.run_once();
    CHECK(ran2);
}

TEST_CASE("C08 cancelled timers are dropped lazily, and the heap is rebuilt when they are the majority") {
    LoopFixture f;
    std::vector<TimerHandle> handles;
    for (int i = 0; i < 150; ++i) handles.push_back(f.loop.call_later(seconds(10 + i), [] {}));
    // A few cancelled at the top are dropped one by one.
    handles[0].cancel();
    handles[1].cancel();
    f.loop.call_soon([] {});
    f.loop.run_once();
    CHECK(f.loop.scheduled_timers() == 148);
    CHECK(f.loop.heap_rebuilds() == 0);
    // Cancelled timers deep in the heap stay...
    for (int i = 100; i < 140; ++i) handles[i].cancel();
    f.loop.call_soon([] {});
    f.loop.run_once();
    CHECK(f.loop.scheduled_timers() == 148);
    // ...until they are more than half of more than 100: then the heap is rebuilt without them.
    for (int i = 2; i < 60; ++i) handles[i].cancel();
    f.loop.call_soon([] {});
    f.loop.run_once();
    CHECK(f.loop.heap_rebuilds() == 1);
    CHECK(f.loop.scheduled_timers() == 50);
}

TEST_CASE("C09 Handle::cancel is idempotent and a cancelled handle never runs") {
    LoopFixture f;
    int runs = 0;
    Handle h = f.loop.call_soon([&] { ++runs; });
    TimerHandle t = f.loop.call_later(seconds(1), [&] { ++runs; });
    h.cancel();
    h.cancel();
    t.cancel();
    t.cancel();
    CHECK(h.cancelled());
    CHECK(t.cancelled());
    f.loop.call_later(seconds(2), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(runs == 0);
    // A callback may cancel its own handle while running: it finishes, and does not run again.
    Handle self;
    self = f.loop.call_soon([&] {
        ++runs;
        self.cancel();
    });
    f.loop.run_once();
    CHECK(runs == 1);
}

TEST_CASE("C10 stop() lets the current iteration finish - before run_forever it runs one iteration") {
    LoopFixture f;
    std::vector<int> order;
    f.loop.call_soon([&] {
        order.push_back(1);
        f.loop.stop();
    });
    f.loop.call_soon([&] { order.push_back(2); });   // same iteration: still runs
    f.loop.run_forever();
    CHECK(order == std::vector<int>{1, 2});

    LoopFixture g;
    int ran = 0;
    g.loop.call_later(seconds(5), [&] { ++ran; });
    g.loop.stop();
    const auto before = g.loop.iterations();
    g.loop.run_forever();
    CHECK(g.loop.iterations() == before + 1);
    CHECK(g.loop.time() == Duration{0});   // zero timeout: the clock did not jump to the timer
    CHECK(ran == 0);
}

namespace {
Coroutine<int> answer_later(double delay, int value) {
    co_await sleep(delay);
    co_return value;
}
Coroutine<int> stop_then_wait(EventLoop* loop) {
    loop->stop();
    co_await sleep(1.0);
    co_return 1;
}
} // namespace

TEST_CASE("C11 run_until_complete wraps a coroutine in a task - an early stop is an error") {
    LoopFixture f;
    CHECK(f.loop.run_until_complete(answer_later(0.5, 42)) == 42);
    CHECK(f.loop.time() == seconds(0.5));
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(stop_then_wait(&f.loop)),
                         "Event loop stopped before Future completed.", RuntimeError);
    f.loop.close();   // the stopped task is still pending
    CHECK(f.reported("Task was destroyed but it is pending!") == 1);
}

namespace {
Coroutine<void> run_inner_loop(EventLoop* loop) {
    loop->run_forever();
    co_return;
}
} // namespace

TEST_CASE("C12 running a running loop, or a closed one, is an error - close() is idempotent") {
    LoopFixture f;
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(run_inner_loop(&f.loop)), "This event loop is already running",
                         RuntimeError);
    f.loop.close();
    f.loop.close();
    CHECK(f.loop.is_closed());
    CHECK_THROWS_WITH_AS(f.loop.run_forever(), "Event loop is closed", RuntimeError);
    CHECK_THROWS_AS(f.loop.call_soon([] {}), RuntimeError);
    Pipe p = make_pipe();
    CHECK_THROWS_AS(f.loop.add_reader(p.read.get(), [] {}), RuntimeError);
    CHECK_THROWS_AS(f.loop.run_until_complete(answer_later(0, 1)), RuntimeError);

    // close() while running is refused too.
    LoopFixture g;
    bool refused = false;
    g.loop.call_soon([&] {
        try {
            g.loop.close();
        } catch (const RuntimeError&) {
            refused = true;
        }
        g.loop.stop();
    });
    g.loop.run_forever();
    CHECK(refused);
}

TEST_CASE("C13 an exception escaping a callback is reported and the loop goes on") {
    LoopFixture f;
    bool after = false;
    f.loop.call_soon([] { throw std::runtime_error("boom"); }, "exploding");
    f.loop.call_soon([&] { after = true; });
    f.loop.run_once();
    CHECK(after);
    REQUIRE(f.reports.size() == 1);
    CHECK(f.reports[0].message == "Exception in callback exploding");
    CHECK(describe(f.reports[0].exception) == "boom");
}

namespace {
Coroutine<void> slow_step(Clock* clock) {
    clock->busy_for(seconds(0.25));   // stands for CPU work: the virtual clock advances
    co_await sleep(0);
    clock->busy_for(seconds(0.05));   // fast enough
}
} // namespace

TEST_CASE("C14 debug mode reports a callback or task step that takes 0.1 s or more") {
    LoopFixture f;
    f.loop.set_debug(true);
    f.loop.call_soon([&] { f.clock.busy_for(seconds(0.15)); }, "busy callback");
    f.loop.call_soon([&] { f.clock.busy_for(seconds(0.01)); }, "quick callback");
    f.loop.run_once();
    f.loop.run_until_complete(f.loop.create_task(slow_step(&f.clock), "slow"));
    REQUIRE(f.reports.size() == 2);
    CHECK(f.reports[0].message == "Executing busy callback took 0.150 seconds");
    CHECK(f.reports[1].message == "Executing <Task slow> took 0.250 seconds");
    // Without debug mode, nothing is reported.
    LoopFixture g;
    g.loop.call_soon([&] { g.clock.busy_for(seconds(1)); });
    g.loop.run_once();
    CHECK(g.reports.empty());
}

TEST_CASE("loop: a loop with nothing ready, no timer and no fd fails instead of hanging") {
    LoopFixture f;
    CHECK_THROWS_WITH_AS(f.loop.run_once(), doctest::Contains("would wait forever"), RuntimeError);
    Future<int> never(f.loop, "never");
    CHECK_THROWS_AS(f.loop.run_until_complete(never), RuntimeError);
}

TEST_CASE("C52 a reader and a writer on one fd share a registration - adding a reader replaces the previous one - remove_reader says whether one was removed") {
    LoopFixture f;
    auto [a, b] = make_socketpair();
    int reads = 0, writes = 0, replaced = 0;
    f.loop.add_reader(a.get(), [&] { ++replaced; });
    f.loop.add_reader(a.get(), [&] { ++reads; });   // replaces the first
    f.loop.add_writer(a.get(), [&] { ++writes; });
    REQUIRE(::write(b.get(), "x", 1) == 1);
    f.loop.run_once();
    CHECK(reads == 1);
    CHECK(writes == 1);
    CHECK(replaced == 0);
    CHECK(f.loop.remove_writer(a.get()));
    CHECK_FALSE(f.loop.remove_writer(a.get()));
    f.loop.run_once();
    CHECK(reads == 2);   // level-triggered: still readable
    CHECK(writes == 1);
    CHECK(f.loop.remove_reader(a.get()));
    CHECK_FALSE(f.loop.remove_reader(a.get()));
    CHECK_FALSE(f.loop.remove_reader(12345));
}

TEST_CASE("selector: fds outside 0..FD_SETSIZE-1 are refused with a clear error") {
    SelectSelector s;
    CHECK_THROWS_WITH_AS(s.set_interest(FD_SETSIZE, true, false), doctest::Contains("FD_SETSIZE"), std::invalid_argument);
    CHECK_THROWS_AS(s.set_interest(-1, true, false), std::invalid_argument);
    VirtualClock clock;   // a loop on select() by name: a later stage may default to another selector
    EventLoop loop(clock, std::make_unique<SelectSelector>());
    CHECK_THROWS_AS(loop.add_reader(FD_SETSIZE + 10, [] {}), std::invalid_argument);
    CHECK_FALSE(loop.remove_reader(FD_SETSIZE + 10));   // the failed add left nothing behind
}

TEST_CASE("selector: select() on a closed fd fails with a system_error naming select") {
    SelectSelector s;
    int fd;
    {
        Pipe p = make_pipe();
        fd = p.read.get();
        s.set_interest(fd, true, false);
    }   // closed now
    CHECK_THROWS_WITH_AS(s.select(Duration{0}), doctest::Contains("select"), std::system_error);
}

TEST_CASE("selector: a ready pipe is reported readable, a full-enough pipe writable") {
    SelectSelector s;
    Pipe p = make_pipe();
    s.set_interest(p.read.get(), true, false);
    s.set_interest(p.write.get(), false, true);
    auto ready = s.select(Duration{0});
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].fd == p.write.get());
    CHECK(ready[0].writable);
    REQUIRE(::write(p.write.get(), "x", 1) == 1);
    ready = s.select(Duration{0});
    CHECK(ready.size() == 2);
    s.set_interest(p.write.get(), false, false);
    CHECK(s.size() == 1);
}
