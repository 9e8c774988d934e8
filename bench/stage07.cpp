// bench-stage07: the spawn, timers, pingpong and memory workloads on stage 07's runtime
// (create_task, sleep, gather, Queue, Event, run). bench/python/peers.py does the same work with
// asyncio and uvloop; read the two side by side. Each workload times itself from inside its main
// coroutine (creating the work included, making and closing the loop not), checks its own result,
// and prints one JSON object.
#include <cstdint>
#include <string>
#include <vector>

#include "bench.hpp"
#include "looplab/clock.hpp"
#include "looplab/random.hpp"
#include "run.hpp"

namespace {

using namespace looplab;

// What a run measured and checked; main() turns it into the JSON line.
struct Result {
    bench::Json json;
    bool ok = true;
    std::string problem;
    void check(bool condition, const std::string& what) {
        if (ok && !condition) {
            ok = false;
            problem = what;
        }
    }
};

// --- spawn: N tasks that each await sleep(0) once, gathered ---------------------------------------

Coroutine<void> yield_once(long* done) {
    co_await sleep(0);
    *done += 1;
}

Coroutine<void> spawn(int n, Result* r) {
    long done = 0;
    const double t0 = bench::wall_seconds();
    const double c0 = bench::cpu_seconds();
    std::vector<Coroutine<void>> work;
    work.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) work.push_back(yield_once(&done));
    co_await gather(std::move(work));
    const double wall = bench::wall_seconds() - t0;
    r->json.add("wall_s", wall).add("cpu_s", bench::cpu_seconds() - c0).add("per_s", n / wall);
    r->check(done == n, std::to_string(done) + " of " + std::to_string(n) + " tasks completed");
}

// --- timers: N sleepers with seeded deadlines in [0, 100 ms); the figure is CPU time --------------

struct Tally {
    long woke = 0;
    long early = 0;
};

Coroutine<void> sleeper(Duration delay, Tally* tally) {
    EventLoop& loop = get_running_loop();
    const Duration before = loop.time();
    co_await sleep(delay);
    tally->woke += 1;
    // Due means "before now + resolution" (C07), so that is the earliest a timer may fire.
    if (loop.time() + loop.clock_resolution() < before + delay) tally->early += 1;
}

Coroutine<void> timers(int n, std::uint64_t seed, Result* r) {
    Tally tally;
    SplitMix64 random(seed);
    const double t0 = bench::wall_seconds();
    const double c0 = bench::cpu_seconds();
    std::vector<Coroutine<void>> work;
    work.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) work.push_back(sleeper(seconds(random.uniform(0.0, 0.1)), &tally));
    co_await gather(std::move(work));
    r->json.add("cpu_s", bench::cpu_seconds() - c0).add("wall_s", bench::wall_seconds() - t0);
    r->check(tally.woke == n, std::to_string(tally.woke) + " of " + std::to_string(n) + " sleepers woke");
    r->check(tally.early == 0, std::to_string(tally.early) + " sleepers woke before their deadline");
}

// --- pingpong: two tasks pass a number back and forth through two Queues M times ----------------

Coroutine<void> pong(Queue<long>* in, Queue<long>* out, int m) {
    for (int i = 0; i < m; ++i) out->put_nowait(co_await in->get() + 1);
}

Coroutine<void> pingpong(int m, Result* r) {
    Queue<long> there, back;
    const double t0 = bench::wall_seconds();
    const double c0 = bench::cpu_seconds();
    Task<void> other = create_task(pong(&there, &back, m), "pong");
    long v = 0;
    for (int i = 0; i < m; ++i) {
        there.put_nowait(v);
        v = co_await back.get() + 1;   // each side adds one: after M round trips, 2M
    }
    co_await other;
    const double wall = bench::wall_seconds() - t0;
    r->json.add("wall_s", wall).add("cpu_s", bench::cpu_seconds() - c0).add("per_s", m / wall);
    r->check(v == 2L * m, "the token came back as " + std::to_string(v) + ", not " + std::to_string(2L * m));
}

// --- memory: N tasks pending on one Event; resident memory before and while they wait -----------

Coroutine<void> waiter(Event* event, long* done) {
    co_await event->wait();
    *done += 1;
}

// What the waiters share. It lives in main(), not in memory()'s frame, because the tasks can outlive
// that frame: if create_task() throws (bad_alloc at a large N), memory() ends at once, but the tasks
// made so far are still waiting until run() cancels them, and a cancelled waiter unlinks itself from
// the Event it waits on. An Event in memory()'s frame would be gone by then, and the unlinking a
// use after free (AddressSanitizer reports it in Event::wait(); without it, a double free). The
// lesson: whatever a task waits on must outlive the task, not only its creator.
struct Waiting {
    Event event;
    long done = 0;
};

Coroutine<void> memory(int n, Waiting* shared, Result* r) {
    Event& event = shared->event;
    long& done = shared->done;
    std::vector<Task<void>> tasks;
    tasks.reserve(static_cast<std::size_t>(n));
    const long base_kb = bench::status_kb("VmRSS");
    for (int i = 0; i < n; ++i) tasks.push_back(create_task(waiter(&event, &done)));
    co_await sleep(0);   // every task's first step runs before this one resumes: all are waiting now
    const long pending_kb = bench::status_kb("VmRSS");
    const bool all_waiting = done == 0;
    event.set();
    co_await gather(std::move(tasks));
    r->json.add("baseline_kb", static_cast<long long>(base_kb)).add("pending_kb", static_cast<long long>(pending_kb));
    r->json.add("bytes_per_task", (pending_kb - base_kb) * 1024.0 / n);
    r->check(all_waiting, "a task finished before the Event was set");
    r->check(done == n, std::to_string(done) + " of " + std::to_string(n) + " waiters woke");
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench-stage07: the spawn, timers, pingpong and memory workloads on stage 07 "
                 "(one JSON object on stdout)"};
    app.require_subcommand(1);
    int n = 0;
    std::uint64_t seed = 1;
    auto* spawn_cmd = app.add_subcommand("spawn", "N tasks that each await sleep(0) once, gathered; tasks per second");
    spawn_cmd->add_option("--n,-n", n, "How many tasks")->check(looplab::number(1, 100000000))->required();
    auto* timers_cmd = app.add_subcommand("timers", "N sleepers with seeded deadlines in [0, 100 ms); CPU time");
    timers_cmd->add_option("--n,-n", n, "How many sleepers")->check(looplab::number(1, 100000000))->required();
    timers_cmd->add_option("--seed", seed, "The SplitMix64 seed of the deadlines")
        ->check(looplab::number<std::uint64_t>(0, UINT64_MAX))
        ->capture_default_str();
    auto* pingpong_cmd = app.add_subcommand("pingpong", "two tasks, two Queues, M round trips; round trips per second");
    pingpong_cmd->add_option("--n,-n", n, "How many round trips (M)")->check(looplab::number(1, 1000000000))->required();
    auto* memory_cmd = app.add_subcommand("memory", "N tasks pending on one Event; resident bytes per task");
    memory_cmd->add_option("--n,-n", n, "How many tasks")->check(looplab::number(1, 100000000))->required();
    if (auto code = looplab::bench::parse(app, argc, argv)) return *code;

    using namespace looplab;
    const std::string workload = app.get_subcommands().front()->get_name();
    Result r;
    r.json.add("workload", workload).add("impl", "stage07").add("n", n);
    if (workload == "timers") r.json.add("seed", static_cast<long long>(seed));
    RealClock clock;
    Waiting waiting;   // outlives the run and every task in it (see memory())
    try {
        if (workload == "spawn") run(spawn(n, &r), clock);
        if (workload == "timers") run(timers(n, seed, &r), clock);
        if (workload == "pingpong") run(pingpong(n, &r), clock);
        if (workload == "memory") run(memory(n, &waiting, &r), clock);
    } catch (const std::exception& e) {
        r.check(false, std::string("the run threw: ") + e.what());
    }
    r.json.add("peak_rss_kb", static_cast<long long>(bench::status_kb("VmHWM")));
    return bench::report(r.json, r.ok, r.problem);
}
