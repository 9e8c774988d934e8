// Demo `bench`: how fast is this runtime? Tasks created and completed per second, and round trips
// per second between two tasks through a pair of Queues. Timed with the steady clock (wall time), so
// the figures differ per machine and per run: not a golden transcript. Build with
// -DCMAKE_BUILD_TYPE=Release before quoting them.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "demos/demos.hpp"

namespace looplab::inline stage05 {

namespace {

Coroutine<int> trivial(int i) { co_return i; }

// Creates `n` tasks in batches of 1000 and awaits each: every task is created, scheduled, stepped
// once, completed, and its waiter woken.
Coroutine<long> spawn(int n) {
    long sum = 0;
    std::vector<Task<int>> batch;
    batch.reserve(1000);
    for (int done = 0; done < n; done += 1000) {
        batch.clear();
        for (int i = 0; i < 1000; ++i) batch.push_back(create_task(trivial(i)));
        for (auto& t : batch) sum += co_await t;
    }
    co_return sum;
}

Coroutine<void> pong(Queue<int>* in, Queue<int>* out, int n) {
    for (int i = 0; i < n; ++i) {
        const int v = co_await in->get();
        out->put_nowait(v + 1);
    }
}

// One round trip: ping puts, pong wakes and answers, ping wakes. Two suspensions, two wake-ups.
Coroutine<int> ping(int n) {
    Queue<int> there, back;
    Task<void> other = create_task(pong(&there, &back, n), "pong");
    int v = 0;
    for (int i = 0; i < n; ++i) {
        there.put_nowait(v);
        v = co_await back.get();
    }
    co_await other;
    co_return v;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string per_second(double count, double secs) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f per second (%.3f s)", count / secs, secs);
    return buf;
}

} // namespace

void demo_bench(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("Tasks created and completed per second");
    say.say("200,000 tasks, created in batches of 1000 and each awaited: one Task state, one coroutine "
            "frame, one step and one wake-up each. Wall time, steady clock.");
    constexpr int kTasks = 200000;
    auto t0 = std::chrono::steady_clock::now();
    const long sum = run(spawn(kTasks), ctx.clock, demo_run_options(ctx));
    say.line("tasks: " + per_second(kTasks, seconds_since(t0)) + " (checksum " + std::to_string(sum) + ")");

    say.heading("Round trips per second through a Queue");
    say.say("Two tasks, two unbounded Queues: ping puts a number, pong gets it and puts it back plus one, "
            "ping gets the answer. Each round trip suspends and wakes both tasks once.");
    constexpr int kTrips = 200000;
    t0 = std::chrono::steady_clock::now();
    const int last = run(ping(kTrips), ctx.clock, demo_run_options(ctx));
    say.line("queue round trips: " + per_second(kTrips, seconds_since(t0)) + " (last " + std::to_string(last) + ")");
    say.say("Run it a few times and quote the median; compare a Debug and a Release build.");
}

} // namespace looplab::stage05
