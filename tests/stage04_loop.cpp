// Stage 04, loop.hpp: one select() over a read set and a write set, plus timers. A waiter is resumed
// only when its fd is ready; one reader and one writer per fd; FD_SETSIZE refused; EINTR retried;
// stop(); finished tasks' slots reused; frames all destroyed.
#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
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
    while (done < data.size())
        done += static_cast<std::size_t>(check(::write(fd, data.data() + done, data.size() - done), "write"));
}

// Awaits Readable, then records when it was resumed and what one read() found.
Coroutine<> wait_then_read(int fd, const Clock* clock, Duration* woke, std::string* got) {
    co_await Readable{fd};
    *woke = clock->now();
    char buffer[64];
    const ssize_t n = check(::read(fd, buffer, sizeof buffer), "read");
    got->assign(buffer, static_cast<std::size_t>(n));
}

Coroutine<> write_later(int fd, Duration at, std::string text) {
    co_await Sleep{at};
    write_all(fd, text);   // a few bytes always fit in an empty socketpair
}

Coroutine<> catches_refusal(int fd, bool writable, std::string* message) {
    try {
        if (writable) co_await Writable{fd};
        else co_await Readable{fd};
    } catch (const std::invalid_argument& e) {
        *message = e.what();
    }
}

Coroutine<> does_not_catch(int fd) { co_await Readable{fd}; }

Coroutine<> readable_then_note(int fd, std::vector<std::string>* order, std::string name) {
    co_await Readable{fd};
    order->push_back(name);
}

Coroutine<> writable_then_note(int fd, std::vector<std::string>* order, std::string name) {
    co_await Writable{fd};
    order->push_back(name);
}

Coroutine<> ticker(int steps, Duration delay, const Clock* clock, std::vector<Duration>* ticks) {
    for (int i = 0; i < steps; ++i) {
        co_await Sleep{clock->now() + delay};
        ticks->push_back(clock->now());
    }
}
} // namespace

TEST_CASE("a Readable waiter is resumed only once its fd has data, while timers run") {
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = make_socketpair();
    Duration woke{-1};
    std::string got;
    std::vector<Duration> ticks;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", wait_then_read(a.get(), &clock, &woke, &got));
    loop.spawn("writer", write_later(b.get(), seconds(0.5), "hello"));
    loop.spawn("ticker", ticker(3, seconds(0.2), &clock, &ticks));
    loop.run();
    CHECK(got == "hello");
    CHECK(woke == seconds(0.5));   // not before the writer wrote, and in the turn right after
    CHECK(ticks == std::vector<Duration>{seconds(0.2), seconds(0.4), seconds(0.6)});
    CHECK(loop.stats().ready == 1);   // the reader's Readable, once
}

TEST_CASE("one reader and one writer may wait on the same fd, a second of either is refused, naming the first") {
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = make_socketpair();
    std::vector<std::string> order;
    std::string second_reader, second_writer;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", readable_then_note(a.get(), &order, "reader"));
    loop.spawn("writer", writable_then_note(a.get(), &order, "writer"));
    loop.spawn("reader 2", catches_refusal(a.get(), false, &second_reader));
    loop.spawn("writer 2", catches_refusal(a.get(), true, &second_writer));
    loop.run_once();   // all four file their events; the two seconds are refused and catch it
    CHECK(second_reader == "fd " + std::to_string(a.get()) + " already has a reader, task 'reader'");
    CHECK(second_writer == "fd " + std::to_string(a.get()) + " already has a writer, task 'writer'");
    loop.run_once();   // a socketpair has room: the writer is resumed; nothing to read yet
    CHECK(order == std::vector<std::string>{"writer"});
    write_all(b.get(), "x");
    loop.run();
    CHECK(order == std::vector<std::string>{"writer", "reader"});
}

TEST_CASE("Readable or Writable on an fd at or above FD_SETSIZE, or below 0, is refused at the co_await") {
    VirtualClock clock;
    Tracer trace(clock);
    std::string big_read, big_write, negative;
    SelectLoop loop(clock, trace);
    loop.spawn("big reader", catches_refusal(FD_SETSIZE, false, &big_read));
    loop.spawn("big writer", catches_refusal(FD_SETSIZE + 1, true, &big_write));
    loop.spawn("negative", catches_refusal(-1, false, &negative));
    loop.run();
    CHECK(big_read.find("select() cannot watch fd " + std::to_string(FD_SETSIZE) + ":") == 0);
    CHECK(big_read.find("FD_SETSIZE") != std::string::npos);
    CHECK(big_write.find("select() cannot watch fd " + std::to_string(FD_SETSIZE + 1) + ":") == 0);
    CHECK(negative.find("cannot watch fd -1") != std::string::npos);
    CHECK(loop.stats().ready == 0);
}

TEST_CASE("an uncaught refusal fails the task, naming it, and every frame is destroyed") {
    const auto before = frames::counts().alive();
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = make_socketpair();
    {
        Duration woke{};
        std::string got;
        SelectLoop loop(clock, trace);
        loop.spawn("waits on a socket", wait_then_read(a.get(), &clock, &woke, &got));
        loop.spawn("too big", does_not_catch(FD_SETSIZE + 500));
        try {
            loop.run();
            FAIL("run() should have thrown");
        } catch (const TaskError& e) {
            CHECK(e.task() == "too big");
            CHECK(std::string(e.what()).find("task 'too big' failed: select() cannot watch fd") == 0);
        }
        CHECK(frames::counts().alive() == before + 1);   // the socket reader, still waiting
    }
    CHECK(frames::counts().alive() == before);
}

namespace {
struct Stopper {
    SelectLoop* loop;
    int* turns;
};

Coroutine<> stop_after(int ticks, const Clock* clock, Stopper stopper) {
    for (int i = 0; i < ticks; ++i) {
        co_await Sleep{clock->now() + seconds(1)};
        *stopper.turns += 1;
    }
    stopper.loop->stop();
}
} // namespace

TEST_CASE("stop() ends run() after the current turn, the tasks left are destroyed with the loop") {
    const auto before = frames::counts().alive();
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = make_socketpair();
    int turns = 0;
    {
        Duration woke{};
        std::string got;
        SelectLoop loop(clock, trace);
        loop.spawn("never resumed", wait_then_read(a.get(), &clock, &woke, &got));
        loop.spawn("stopper", stop_after(3, &clock, Stopper{&loop, &turns}));
        loop.run();   // would block forever on the reader without stop()
        CHECK(turns == 3);
        CHECK(clock.now() == seconds(3));
        CHECK(loop.waiting() == 1);
        CHECK(frames::counts().alive() == before + 1);
    }
    CHECK(frames::counts().alive() == before);
}

namespace {
Coroutine<> short_task(const Clock* clock) { co_await Sleep{clock->now() + seconds(0.001)}; }

// Spawns `count` short tasks, one at a time, each after the previous one has finished.
Coroutine<> spawner(int count, SelectLoop* loop, const Clock* clock) {
    for (int i = 0; i < count; ++i) {
        loop->spawn("short " + std::to_string(i), short_task(clock));
        co_await Sleep{clock->now() + seconds(0.01)};
    }
}
} // namespace

TEST_CASE("a finished task's slot is reused, so a server's task table does not grow with every connection") {
    VirtualClock clock;
    Tracer trace(clock);
    SelectLoop loop(clock, trace);
    loop.spawn("spawner", spawner(1000, &loop, &clock));
    loop.run();
    CHECK(loop.stats().resumes > 2000);
    CHECK(loop.task_slots() == 2);   // the spawner, and one slot that its children take in turn
}

TEST_CASE("on the virtual clock, with only fds left, the loop blocks for real: no spinning, no time jump") {
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = make_socketpair();
    Duration woke{-1};
    std::string got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", wait_then_read(a.get(), &clock, &woke, &got));
    loop.run_once();   // the reader files its Readable
    const int other = b.release();
    std::thread writer([other] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        write_all(other, "data");
        ::close(other);
    });
    loop.run();
    writer.join();
    CHECK(got == "data");
    CHECK(woke == Duration::zero());
    CHECK(loop.stats().selects <= 3);   // a spinning loop would make thousands in 50 ms
}

TEST_CASE("select() interrupted by a signal (EINTR) is retried, not reported as an error") {
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = make_socketpair();
    Duration woke{-1};
    std::string got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", wait_then_read(a.get(), &clock, &woke, &got));
    loop.run_once();   // the reader files its Readable; from now on the loop blocks in select()

    // The signal arrives while this thread is inside select(); its handler writes the byte the
    // reader waits for, so the loop can only finish if it retried the interrupted call.
    looplab::testing::interrupt_select_with_byte(b.get(), [&] { loop.run_once(); });
    CHECK(got == "!");
    CHECK(loop.stats().interrupted >= 1);
}
