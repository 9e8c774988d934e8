// Stage 03, loop.hpp: select() over time and fds. Reading to the amount or end of file, fairness
// (an always-readable fd does not starve sleepers), FD_SETSIZE refused, EINTR retried, the virtual
// clock neither hanging nor spinning, errors thrown in at the co_await, frames all destroyed.
#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <pthread.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/frames.hpp"
#include "looplab/trace.hpp"
#include "support/interrupt_select.hpp"

using namespace looplab;

namespace {
void write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) done += static_cast<std::size_t>(check(::write(fd, data.data() + done, data.size() - done), "write"));
}

Coroutine<> read_into(int fd, std::size_t amount, std::vector<std::string>* got) {
    while (true) {
        std::string bytes = co_await Read{fd, amount};
        got->push_back(bytes);
        if (bytes.size() < amount) co_return;   // end of file
    }
}

Coroutine<> ticker(int steps, Duration delay, const Clock* clock, std::vector<Duration>* ticks) {
    for (int i = 0; i < steps; ++i) {
        co_await Sleep{clock->now() + delay};
        ticks->push_back(clock->now());
    }
}

// Reads 1 byte at a time from an fd that is always readable, until `stop` is set (by the ticker's
// end) or it gives up after `limit` reads: with a starving loop, the test fails instead of hanging.
Coroutine<> greedy(int fd, const bool* stop, long limit, long* reads) {
    while (!*stop && *reads < limit) {
        co_await Read{fd, 1};
        *reads += 1;
    }
}

Coroutine<> ticker_then_stop(int steps, Duration delay, const Clock* clock, std::vector<Duration>* ticks, bool* stop) {
    co_await ticker(steps, delay, clock, ticks);
    *stop = true;
}

Coroutine<> catches_refusal(int fd, std::string* message) {
    try {
        co_await Read{fd, 10};
    } catch (const std::invalid_argument& e) {
        *message = e.what();
    }
}

Coroutine<> does_not_catch(int fd) { co_await Read{fd, 10}; }

Coroutine<> catches_system_error(int fd, std::string* message) {
    try {
        co_await Read{fd, 10};
    } catch (const std::system_error& e) {
        *message = e.what();
    }
}
} // namespace

TEST_CASE("Read gets exactly the amount asked for, a chunk per turn, then what is left at end of file") {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    write_all(pipe.write.get(), std::string(10000, 'x') + "tail");
    pipe.write.reset();   // end of file after the data
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_into(pipe.read.get(), 10000, &got));
    loop.run();
    REQUIRE(got.size() == 2);
    CHECK(got[0] == std::string(10000, 'x'));
    CHECK(got[1] == "tail");
    // 10000 bytes at 4096 a turn: 3 reads; "tail": 1 read; end of file: 1 read.
    CHECK(loop.stats().reads == 5);
    CHECK(clock.now() == Duration::zero());   // no timers: I/O costs no virtual time
}

namespace {
struct Starvation {
    std::vector<Duration> ticks;
    long reads = 0;
    bool stopped_by_ticker = false;
};

// A greedy reader of /dev/zero (never runs dry) beside a ticker of 3 ticks; the reader stops when the
// ticker is done, or gives up after `limit` reads.
Starvation run_greedy_beside_ticker(Clock& clock, Duration delay, long limit) {
    Tracer trace(clock);
    UniqueFd zero(check(::open("/dev/zero", O_RDONLY | O_CLOEXEC), "open(/dev/zero)"));
    Starvation result;
    SelectLoop loop(clock, trace);
    loop.spawn("greedy", greedy(zero.get(), &result.stopped_by_ticker, limit, &result.reads));
    loop.spawn("ticker", ticker_then_stop(3, delay, &clock, &result.ticks, &result.stopped_by_ticker));
    loop.run();
    return result;
}
} // namespace

TEST_CASE("an always-readable fd does not starve the sleepers, on the virtual clock") {
    VirtualClock clock;
    const Starvation r = run_greedy_beside_ticker(clock, seconds(0.1), 1000000);
    CHECK(r.ticks == std::vector<Duration>{seconds(0.1), seconds(0.2), seconds(0.3)});
    CHECK(r.stopped_by_ticker);
    CHECK(r.reads < 10);   // one read per turn, one turn per deadline
}

TEST_CASE("an always-readable fd does not starve the sleepers, on the real clock") {
    RealClock clock;
    const Starvation r = run_greedy_beside_ticker(clock, seconds(0.002), 100000000);
    CHECK(r.ticks.size() == 3);
    CHECK(r.stopped_by_ticker);   // the ticker finished, and that is what stopped the reader...
    CHECK(r.reads < 100000000);   // ...not the reader's own limit
    CHECK(r.reads > 0);
}

TEST_CASE("a Read on an fd at or above FD_SETSIZE, or below 0, is refused at the co_await") {
    VirtualClock clock;
    Tracer trace(clock);
    std::string big, negative;
    SelectLoop loop(clock, trace);
    loop.spawn("big", catches_refusal(FD_SETSIZE, &big));
    loop.spawn("negative", catches_refusal(-1, &negative));
    loop.run();
    CHECK(big.find("select() cannot watch fd " + std::to_string(FD_SETSIZE)) != std::string::npos);
    CHECK(big.find("FD_SETSIZE") != std::string::npos);
    CHECK(negative.find("cannot watch fd -1") != std::string::npos);
    CHECK(loop.stats().reads == 0);
}

TEST_CASE("an uncaught refusal fails the task, naming it, and every frame is destroyed") {
    const auto before = frames::counts().alive();
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    {
        std::vector<std::string> got;
        SelectLoop loop(clock, trace);
        loop.spawn("waits on a pipe", read_into(pipe.read.get(), 5, &got));
        loop.spawn("too big", does_not_catch(FD_SETSIZE + 500));
        try {
            loop.run();
            FAIL("run() should have thrown");
        } catch (const TaskError& e) {
            CHECK(e.task() == "too big");
            CHECK(std::string(e.what()).find("task 'too big' failed: select() cannot watch fd") == 0);
        }
        CHECK(frames::counts().alive() == before + 1);   // the pipe reader, still waiting
    }
    CHECK(frames::counts().alive() == before);
}

TEST_CASE("a second reader of the same fd is refused, naming the first") {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    std::string message;
    SelectLoop loop(clock, trace);
    loop.spawn("first", read_into(pipe.read.get(), 3, &got));
    loop.spawn("second", catches_refusal(pipe.read.get(), &message));
    loop.run_once();   // both file their Read; the second is refused and catches it
    CHECK(message == "fd " + std::to_string(pipe.read.get()) + " already has a reader, task 'first'");
    write_all(pipe.write.get(), "abc");
    pipe.write.reset();
    loop.run();
    REQUIRE(got.size() == 2);
    CHECK(got[0] == "abc");
    CHECK(got[1].empty());
}

TEST_CASE("a failing read() is thrown into the reader as a system_error naming the call") {
    VirtualClock clock;
    Tracer trace(clock);
    // A directory: select() says readable (it is a file), and read() fails with EISDIR.
    UniqueFd dir(check(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open(.)"));
    std::string message;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", catches_system_error(dir.get(), &message));
    loop.run();
    CHECK(message.find("read(fd " + std::to_string(dir.get()) + ")") == 0);
}

TEST_CASE("on the virtual clock, with only fds left, the loop blocks for real: no spinning, no time jump") {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_into(pipe.read.get(), 4, &got));
    loop.run_once();   // the reader files its Read
    const int write_end = pipe.write.release();
    std::thread writer([write_end] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        write_all(write_end, "data");
        ::close(write_end);
    });
    loop.run();
    writer.join();
    REQUIRE(got.size() == 2);
    CHECK(got[0] == "data");
    CHECK(clock.now() == Duration::zero());
    // Turn 1 (no Read filed yet), a blocking select that returns with "data", and one for end of
    // file (maybe two, if the close came after a separate wake-up). A spinning loop would make
    // thousands in 50 ms.
    CHECK(loop.stats().selects <= 4);
}

TEST_CASE("timers only, on the virtual clock: one select() per deadline and the clock jumps") {
    VirtualClock clock;
    Tracer trace(clock);
    std::vector<Duration> ticks;
    SelectLoop loop(clock, trace, QueueKind::List);
    loop.spawn("t", ticker(4, seconds(0.25), &clock, &ticks));
    loop.run();
    CHECK(ticks == std::vector<Duration>{seconds(0.25), seconds(0.5), seconds(0.75), seconds(1)});
    CHECK(loop.stats().selects == 5);
}

TEST_CASE("select() interrupted by a signal (EINTR) is retried, not reported as an error") {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_into(pipe.read.get(), 1, &got));
    loop.run_once();   // the reader files its Read; from now on the loop blocks in select()

    // The signal arrives while this thread is inside select(); its handler writes the byte the
    // reader waits for, so the loop can only finish if it retried the interrupted select().
    looplab::testing::interrupt_select_with_byte(pipe.write.get(), [&] { loop.run_once(); });
    REQUIRE(got.size() == 1);
    CHECK(got[0] == "!");
    CHECK(loop.stats().interrupted >= 1);
}

TEST_CASE("the loop reports I/O to the tracer: suspend on the Read, io-ready per read(), then resume") {
    VirtualClock clock;
    Tracer trace(clock);
    trace.keep_events(true);
    Pipe pipe = make_pipe();
    write_all(pipe.write.get(), "hello");
    pipe.write.reset();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_into(pipe.read.get(), 5, &got));
    loop.run();
    const std::string fd = std::to_string(pipe.read.get());
    std::vector<std::string> seen;
    for (const TraceEvent& e : trace.events()) seen.push_back(std::string(to_string(e.kind)) + " " + e.detail);
    const std::vector<std::string> expected{
        "resume first run",
        "suspend Read 5 bytes from fd " + fd,
        "io-ready fd " + fd + ": 5 bytes, 5 of 5",
        "resume ",
        "suspend Read 5 bytes from fd " + fd,
        "io-ready fd " + fd + ": end of file",
        "resume ",
        "done ",
    };
    CHECK(seen == expected);
}
