// Stage 08's threads: call_soon_threadsafe() from several threads, run_in_executor()/to_thread() with
// their results, exceptions and cancellation, and the virtual clock waiting for a thread. Threads are
// synchronised with latches and futures, never with sleeps.
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "looplab/fd.hpp"
#include "run.hpp"

using namespace looplab;

namespace {

// Each of `threads` executor jobs calls call_soon_threadsafe `calls` times; every callback checks
// that it runs on the loop's thread and that its thread's calls arrive in order.
struct Flood {
    std::thread::id loop_thread;
    std::vector<int> next;          // per sending thread: the sequence number expected next
    int out_of_order = 0, off_thread = 0, total = 0;
};

Coroutine<void> flood(Flood* f, int threads, int calls) {
    EventLoop& loop = get_running_loop();
    f->loop_thread = std::this_thread::get_id();
    f->next.assign(static_cast<std::size_t>(threads), 0);
    std::latch all_started(threads);   // so the four really send at the same time
    std::vector<Future<void>> jobs;
    for (int t = 0; t < threads; ++t)
        jobs.push_back(loop.run_in_executor([&loop, f, t, calls, &all_started] {
            all_started.arrive_and_wait();
            for (int k = 0; k < calls; ++k)
                loop.call_soon_threadsafe([f, t, k] {
                    if (std::this_thread::get_id() != f->loop_thread) ++f->off_thread;
                    int& expected = f->next[static_cast<std::size_t>(t)];
                    if (k != expected) ++f->out_of_order;
                    expected = k + 1;
                    ++f->total;
                });
        }));
    // A job's result is queued after its own calls, so once all four are done every callback has run.
    for (Future<void>& j : jobs) co_await j;
}

} // namespace

TEST_CASE("call_soon_threadsafe: 4 threads x 10,000 calls each run exactly once, on the loop's thread, in each thread's order") {
    RealClock clock;
    Flood f;
    run(flood(&f, 4, 10000), clock);
    CHECK(f.total == 40000);
    CHECK(f.off_thread == 0);
    CHECK(f.out_of_order == 0);
    CHECK(f.next == std::vector<int>{10000, 10000, 10000, 10000});
}

TEST_CASE("call_soon_threadsafe wakes a loop asleep in the selector, and is refused once the loop is closed") {
    RealClock clock;
    EventLoop loop(clock);
    Pipe keep = make_pipe();   // an fd to watch, so the loop may sleep with no timeout
    loop.add_reader(keep.read.get(), [] {});
    bool ran = false;
    std::thread other([&loop, &ran] { loop.call_soon_threadsafe([&loop, &ran] { ran = true; loop.stop(); }); });
    loop.run_forever();   // blocks in epoll_wait until the other thread's write to the eventfd
    other.join();
    CHECK(ran);
    loop.remove_reader(keep.read.get());
    loop.close();
    CHECK_THROWS_AS(loop.call_soon_threadsafe([] {}), RuntimeError);
}

TEST_CASE("to_thread: fn runs on a worker; the Future completes, and the coroutine resumes, on the loop's thread") {
    RealClock clock;
    struct Seen { std::thread::id loop, worker, callback, resumed; } seen;
    auto main = [](Seen* s) -> Coroutine<int> {
        s->loop = std::this_thread::get_id();
        Future<int> f = to_thread([s] { s->worker = std::this_thread::get_id(); return 42; });
        f.add_done_callback([s](const Future<int>&) { s->callback = std::this_thread::get_id(); });
        const int v = co_await f;
        s->resumed = std::this_thread::get_id();
        co_return v;
    };
    CHECK(run(main(&seen), clock) == 42);
    CHECK(seen.worker != seen.loop);
    CHECK(seen.callback == seen.loop);
    CHECK(seen.resumed == seen.loop);
}

TEST_CASE("to_thread: an exception from fn reaches the awaiting coroutine, message and type intact") {
    VirtualClock clock;
    auto main = []() -> Coroutine<std::string> {
        try {
            co_await to_thread([]() -> int { throw std::out_of_range("no such line"); });
        } catch (const std::out_of_range& e) {
            co_return std::string("caught: ") + e.what();
        }
        co_return "not caught";
    };
    CHECK(run(main(), clock) == "caught: no such line");
}

namespace {
// What the cancellation test shares between its coroutine, the worker and itself.
struct Blocked {
    std::promise<void> started, release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> finished{false};
};

Coroutine<int> waiter(Blocked* b) {
    co_return co_await to_thread([b] {
        b->started.set_value();
        b->released.wait();   // blocked until the test says so: a cancel cannot reach in here
        b->finished = true;
        return 1;
    });
}

Coroutine<std::string> cancel_the_waiter(Blocked* b) {
    Task<int> t = create_task(waiter(b), "waiter");
    co_await sleep(0);                  // the waiter submits its job
    b->started.get_future().wait();     // the job is running on its thread
    t.cancel();
    std::string outcome;
    try { co_await t; } catch (const CancelledError&) { outcome = "cancelled"; }
    outcome += b->finished ? ", thread finished" : ", thread still running";
    b->release.set_value();             // now the job returns; its result finds the Future cancelled
    co_return outcome;
}

Coroutine<void> sleep_then_log(std::string* log) {
    co_await sleep(10);
    *log += "sleeper woke at " + format_time(get_running_loop().time()) + "; ";
}

// The only thing pending is a thread's result: no timer, no fd. Then a thread's result and a timer.
Coroutine<std::string> wait_for_threads() {
    using namespace std::chrono_literals;
    std::string log;
    const int alone = co_await to_thread([] { std::this_thread::sleep_for(20ms); return 1; });
    log += "alone: " + std::to_string(alone) + " at " + format_time(get_running_loop().time()) + "; ";
    Task<void> sleeper = create_task(sleep_then_log(&log));
    // The worker takes 50 ms of real time, long enough for the loop to reach its wait with only the
    // sleeper's timer left: a loop that jumped the clock would run the sleeper first, at 10 s.
    const int v = co_await to_thread([] { std::this_thread::sleep_for(50ms); return 2; });
    log += "result " + std::to_string(v) + " at " + format_time(get_running_loop().time()) + "; ";
    co_await sleeper;
    co_return log;
}
} // namespace

TEST_CASE("to_thread: cancelling the awaiting task stops the waiting, not the thread; the late result is dropped quietly") {
    RealClock clock;
    Blocked b;
    std::vector<ErrorContext> reports;
    RunOptions opts;
    opts.exception_handler = [&reports](const ErrorContext& c) { reports.push_back(c); };
    CHECK(run(cancel_the_waiter(&b), clock, opts) == "cancelled, thread still running");
    CHECK(b.finished);        // run() closed the loop, and closing waits for the executor's jobs
    CHECK(reports.empty());   // the dropped result is no error
}

TEST_CASE("virtual clock with a worker: the loop waits for real, the clock does not jump past the pending result, and nothing hangs") {
    VirtualClock clock;
    CHECK(run(wait_for_threads(), clock) == "alone: 1 at 0.000s; result 2 at 0.000s; sleeper woke at 10.000s; ");
}

TEST_CASE("ThreadPool: jobs run on its workers, shutdown waits for them, and a job after shutdown is refused") {
    std::atomic<int> ran{0};
    ThreadPool pool(2);
    CHECK(pool.workers() == 2);
    for (int i = 0; i < 100; ++i) pool.submit([&ran] { ++ran; });
    pool.shutdown();
    CHECK(ran == 100);
    CHECK_THROWS_AS(pool.submit([] {}), RuntimeError);
    pool.shutdown();   // idempotent
}
