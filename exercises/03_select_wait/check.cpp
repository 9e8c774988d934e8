// Exercise 03_select_wait: the loop's phase 1, one select() for everybody. Pipes, the virtual clock,
// and the real clock only where the point is that the loop waits (or does not) for real.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/trace.hpp"
#include "support/interrupt_select.hpp"

using namespace looplab;

namespace {
void write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) done += static_cast<std::size_t>(check(::write(fd, data.data() + done, data.size() - done), "write"));
}

Coroutine<> read_once(int fd, std::size_t amount, std::vector<std::string>* log) {
    std::string bytes = co_await Read{fd, amount};
    log->push_back(bytes);
}

Coroutine<> sleep_then(Duration delay, const Clock* clock, std::vector<Duration>* woke) {
    co_await Sleep{clock->now() + delay};
    woke->push_back(clock->now());
}

// Sleeps, then writes `byte` into `fd` and closes it: a deadline that feeds a reader.
Coroutine<> sleep_then_write(Duration delay, const Clock* clock, UniqueFd* fd) {
    co_await Sleep{clock->now() + delay};
    write_all(fd->get(), "!");
    fd->reset();
}

double elapsed_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
} // namespace

TEST_CASE("a reader whose pipe already holds data is served in the first turns" *
          doctest::description("put every fd of readers_ in an fd_set with FD_SET, call ::select(highest + 1, "
                               "&set, nullptr, nullptr, timeout), and return the fds FD_ISSET still marks")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    write_all(pipe.write.get(), "abc");
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_once(pipe.read.get(), 3, &got));
    loop.run();
    CHECK(got == std::vector<std::string>{"abc"});
    CHECK(loop.stats().selects >= 1);
}

TEST_CASE("every ready fd is returned by one select(), lowest first" *
          doctest::description("select() overwrites its fd_set with the ready fds: test each reader's fd with "
                               "FD_ISSET afterwards and return all of them, not just the first")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe a = make_pipe();
    Pipe b = make_pipe();
    write_all(a.write.get(), "A");
    write_all(b.write.get(), "B");
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("b", read_once(b.read.get(), 1, &got));
    loop.spawn("a", read_once(a.read.get(), 1, &got));
    loop.run_once();                 // both file their Read
    const auto before = loop.stats().selects;
    loop.run_once();                 // one select(), both served
    CHECK(loop.stats().selects == before + 1);
    const std::vector<std::string> lowest_first =
        a.read.get() < b.read.get() ? std::vector<std::string>{"A", "B"} : std::vector<std::string>{"B", "A"};
    CHECK(got == lowest_first);
}

TEST_CASE("on the virtual clock, select() only polls: a long sleep costs no real time" *
          doctest::description("when clock_.is_virtual() and someone sleeps, the timeout is zero (a timeval of "
                               "0 s 0 us, not a null pointer): the loop moves the virtual clock itself")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_once(pipe.read.get(), 1, &got));
    loop.spawn("writer", sleep_then_write(seconds(3), &clock, &pipe.write));
    const auto t0 = std::chrono::steady_clock::now();
    loop.run();
    CHECK(elapsed_since(t0) < 1.5);
    CHECK(got == std::vector<std::string>{"!"});
    CHECK(clock.now() == seconds(3));
}

TEST_CASE("on the real clock, the timeout is the time left until the earliest deadline" *
          doctest::description("with a reader that never gets data, only the timeout can end select(): "
                               "timers_.top().when - clock_.now() as a timeval (seconds and microseconds), "
                               "never negative")) {
    RealClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    std::vector<Duration> woke;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_once(pipe.read.get(), 1, &got));
    loop.spawn("sleeper", sleep_then(seconds(0.05), &clock, &woke));
    // Rescue for a wrong timeout that never ends: a byte after 3 s lets the reader, and run(), finish.
    // (A jthread: stopped and joined when the test ends, however it ends.)
    std::jthread rescue([fd = pipe.write.get()](std::stop_token stop) {
        for (int i = 0; i < 300 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        write_all(fd, "!");
    });
    const auto t0 = std::chrono::steady_clock::now();
    while (woke.empty() && elapsed_since(t0) < 5) loop.run_once();
    const double waited = elapsed_since(t0);
    REQUIRE(woke.size() == 1);
    CHECK(woke[0] >= seconds(0.05));
    CHECK(waited < 1.0);
    CHECK(loop.stats().selects < 50);   // waited in select(), did not spin
    rescue.request_stop();
    rescue.join();
    loop.run();
}

TEST_CASE("with nobody asleep, select() blocks until an fd is ready" *
          doctest::description("no timers: pass a null timeval* so select() waits as long as it takes; a zero "
                               "timeout here would spin, calling select() over and over")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_once(pipe.read.get(), 1, &got));
    loop.run_once();                 // the reader files its Read
    std::jthread writer([fd = pipe.write.get()] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        write_all(fd, "!");
    });
    const auto before = loop.stats().selects;
    loop.run_once();                 // blocks in select() until the byte comes
    writer.join();
    CHECK(got == std::vector<std::string>{"!"});
    CHECK(loop.stats().selects - before <= 2);
}

TEST_CASE("select() interrupted by a signal (EINTR) is called again, not reported" *
          doctest::description("::select returns -1 with errno == EINTR when a signal arrives: count it in "
                               "stats_.interrupted and loop back to call select() again")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_once(pipe.read.get(), 1, &got));
    loop.run_once();
    // A signal arrives while this thread is inside select(); its handler writes the awaited byte.
    looplab::testing::interrupt_select_with_byte(pipe.write.get(), [&] { loop.run_once(); });
    CHECK(got == std::vector<std::string>{"!"});
    CHECK(loop.stats().interrupted >= 1);
}
