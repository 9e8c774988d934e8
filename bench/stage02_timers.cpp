// bench-stage02: the `timers` workload on stage 02's SleepLoop, with its sorted list or its heap.
//
// N sleepers, each with one deadline drawn from common/'s seeded SplitMix64 in [0, 100 ms) (the
// same deadlines, in the same order, as every other implementation of this workload), on the real
// clock. The figure is the CPU time of the whole run, spawning included: the wall time holds up to
// 100 ms of real waiting, which is not the loop's work. Each sleeper checks it did not wake before
// its deadline; the run checks that all N woke.
#include <cstdint>
#include <string>
#include <vector>

#include "bench.hpp"
#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/random.hpp"
#include "looplab/trace.hpp"

namespace {

using namespace looplab;

struct Tally {
    long woke = 0;
    long early = 0;   // woke before its deadline: a broken loop
};

Coroutine<> sleeper(Duration until, const Clock* clock, Tally* tally) {
    co_await Sleep{until};
    tally->woke += 1;
    if (clock->now() < until) tally->early += 1;
}

} // namespace

int main(int argc, char** argv) {
    using namespace looplab;
    CLI::App app{"bench-stage02: the timers workload on stage 02's loop (one JSON object on stdout)"};
    std::string queue = "heap";
    int tasks = 1000;
    std::uint64_t seed = 1;
    app.add_option("--queue", queue, "The timer queue: list (sorted again on every insert) or heap")
        ->check(CLI::IsMember({"list", "heap"}))
        ->capture_default_str();
    app.add_option("--tasks,-n", tasks, "How many sleepers")->check(looplab::number(1, 10000000))->capture_default_str();
    app.add_option("--seed", seed, "The SplitMix64 seed of the deadlines")
        ->check(looplab::number<std::uint64_t>(0, UINT64_MAX))
        ->capture_default_str();
    if (auto code = bench::parse(app, argc, argv)) return *code;

    RealClock clock;
    Tracer quiet(clock);   // off: tracing would measure the tracer
    Tally tally;
    SplitMix64 random(seed);
    const double cpu0 = bench::cpu_seconds();
    const double wall0 = bench::wall_seconds();
    {
        SleepLoop loop(clock, quiet, queue == "list" ? QueueKind::List : QueueKind::Heap);
        const Duration start = clock.now();
        for (int i = 0; i < tasks; ++i)
            loop.spawn("s", sleeper(start + seconds(random.uniform(0.0, 0.1)), &clock, &tally));
        loop.run();
    }
    const double cpu = bench::cpu_seconds() - cpu0;
    const double wall = bench::wall_seconds() - wall0;

    bench::Json json;
    json.add("workload", "timers").add("impl", "stage02-" + queue).add("n", tasks).add("seed", static_cast<long long>(seed));
    json.add("cpu_s", cpu).add("wall_s", wall).add("peak_rss_kb", static_cast<long long>(bench::status_kb("VmHWM")));
    if (tally.woke != tasks)
        return bench::report(json, false, std::to_string(tally.woke) + " of " + std::to_string(tasks) + " sleepers woke");
    if (tally.early != 0)
        return bench::report(json, false, std::to_string(tally.early) + " sleepers woke before their deadline");
    return bench::report(json, true);
}
