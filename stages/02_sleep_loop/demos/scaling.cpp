// Demo `scaling`: how much time the loop itself spends per resume, with a sorted list and with a
// heap, as the number of sleepers N grows. It runs on a virtual clock of its own whatever --clock
// says (we measure the loop, not the sleeping), and it prints real measured times, which differ from
// run to run and machine to machine: it is not in the golden transcripts.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "demos/demos.hpp"
#include "loop.hpp"
#include "looplab/random.hpp"

namespace looplab::inline stage02 {

namespace {
// A sleeper with pseudo-random delays between 1 ms and 1 s, from common/'s seeded SplitMix64, seeded
// per task, so every run files exactly the same deadlines, for both queues.
Coroutine<> random_sleeper(std::uint64_t seed, int steps, const Clock* clock) {
    SplitMix64 random(seed);
    for (int i = 0; i < steps; ++i)
        co_await Sleep{clock->now() + std::chrono::microseconds(1000 + static_cast<long>(random.below(999000)))};
}

struct Measurement {
    double ns_per_resume;
    std::uint64_t resumes;
};

// One run: N sleepers on a fresh virtual clock. The first turn runs every task once, each filing its
// first Sleep: that fills the queue, and is not timed. Then the turns are timed until `budget` of real
// time has passed (and at least `min_resumes` resumes): at large N the list is slow enough that
// running every step would take minutes, and the queue holds about N entries throughout, so the first
// few thousand resumes are as telling as all of them.
Measurement measure(QueueKind kind, int n, int steps, std::chrono::nanoseconds budget) {
    constexpr std::uint64_t min_resumes = 200;
    VirtualClock clock;
    Tracer quiet(clock);   // off: tracing would measure the tracer
    SleepLoop loop(clock, quiet, kind);
    for (int i = 0; i < n; ++i) loop.spawn("s", random_sleeper(static_cast<std::uint64_t>(i), steps, &clock));
    loop.run_once();   // the fill: N inserts (for the list, N sorts of a growing list)
    const std::uint64_t before = loop.stats().resumes;
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t turns = 0;
    while (loop.waiting() > 0) {
        loop.run_once();
        // Reading the clock costs about as much as a heap resume, so only every 64th turn.
        if (++turns % 64 == 0 && std::chrono::steady_clock::now() - t0 > budget &&
            loop.stats().resumes - before >= min_resumes)
            break;
    }
    const auto t1 = std::chrono::steady_clock::now();
    const auto resumes = loop.stats().resumes - before;
    return {std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(resumes), resumes};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string fixed(double v, int decimals) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}
} // namespace

void demo_scaling(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
#ifdef NDEBUG
    const int default_largest = 10000;   // an optimised build sorts 10,000 entries in well under a millisecond
#else
    const int default_largest = 1000;    // a Debug build sorts ~20x slower; filing 10,000 tasks would take a minute
#endif
    const int largest = opts.tasks > 0 ? opts.tasks : default_largest;
    const int steps = opts.steps > 0 ? opts.steps : 3;
    std::vector<int> ns;
    for (int n = 10; n < largest; n *= 10) ns.push_back(n);
    ns.push_back(largest);

    say.heading("The loop's own time per resume, as the number of sleepers grows");
    say.say("N sleepers each sleep " + std::to_string(steps) + " times, for pseudo-random delays "
            "between 1 ms and 1 s, so the queue holds about N entries the whole time. We time run() and "
            "divide by the number of resumes: what is left is the loop's bookkeeping per resume (one "
            "removal, one insert, one dispatch) plus the resume itself, a few nanoseconds. The list sorts "
            "itself again on every insert, O(n log n); the heap moves one entry up or down its tree, "
            "O(log n). Each figure is the median of 5 runs (3 above N = 1,000); a run stops timing after "
            "0.1 s, so the timed column says how many resumes each figure averages (the last run's). "
            "Filing the first N sleepers into the list is itself N sorts, which at N = 10,000 takes "
            "seconds: be patient.");
    say.say("This demo keeps a virtual clock of its own whatever --clock says (the sleeping is not what "
            "we measure), and it prints real elapsed times, which change from run to run and machine "
            "to machine: that is why it has no golden transcript. A Debug build is many times slower "
            "than a Release build, so it stops at N = 1,000 unless --tasks says otherwise; "
            "make BUILD_TYPE=Release BUILD=build-release goes to 10,000.");
    say.source("read TimerQueue::push() and pop() in loop.hpp");
    say.gap();

    char row[128];
    std::snprintf(row, sizeof row, "%8s  %15s  %14s  %14s  %10s", "N", "timed list/heap", "list ns/resume",
                  "heap ns/resume", "list/heap");
    say.line(row);
    for (int n : ns) {
        const int reps = n <= 1000 ? 5 : 3;   // fewer where the list's fill takes seconds
        const auto budget = std::chrono::milliseconds(100);
        std::vector<double> list, heap;
        std::uint64_t list_resumes = 0, heap_resumes = 0;
        for (int r = 0; r < reps; ++r) {
            const Measurement l = measure(QueueKind::List, n, steps, budget);
            const Measurement h = measure(QueueKind::Heap, n, steps, budget);
            list.push_back(l.ns_per_resume);
            heap.push_back(h.ns_per_resume);
            list_resumes = l.resumes;
            heap_resumes = h.resumes;
        }
        const double l = median(list), h = median(heap);
        std::snprintf(row, sizeof row, "%8d  %7llu/%-7llu  %14s  %14s  %9sx", n,
                      static_cast<unsigned long long>(list_resumes), static_cast<unsigned long long>(heap_resumes),
                      fixed(l, 0).c_str(), fixed(h, 0).c_str(), fixed(l / h, 1).c_str());
        say.line(row);
    }
    say.gap();
    say.say("The heap's cost per resume barely moves as N grows ten-fold (log n grows by a constant), "
            "while the list's grows roughly ten-fold with it: every insert re-sorts all N entries. At "
            "a handful of sleepers the two are alike, which is why the list is a fine first version, "
            "and why asyncio keeps its timers in a heap (heapq) all the same.");
}

} // namespace looplab::stage02
