// Demo `random-int`: three coroutines each draw random integers until one beats its threshold,
// sleeping between draws; gather() runs them concurrently and returns their results in order.
#include <string>
#include <vector>

#include "demos/demos.hpp"
#include "looplab/random.hpp"

namespace looplab::inline stage06 {

namespace {

// Draws 0..10 (Python's random.randint(0, 10): below(11) of the shared SplitMix64) until the draw is
// above `threshold`, sleeping idx + 1 seconds after each draw that is too low.
Coroutine<int> makerandom(int idx, int threshold, SplitMix64* rng, Narrator* say) {
    const std::string name = "makerandom(" + std::to_string(idx) + ")";
    say->task_line(name, loop_now() + " starts; needs more than " + std::to_string(threshold));
    auto i = static_cast<int>(rng->below(11));
    while (i <= threshold) {
        say->task_line(name, loop_now() + " drew " + std::to_string(i) + ", too low; retrying in " +
                                 std::to_string(idx + 1) + " s");
        co_await sleep(idx + 1);
        i = static_cast<int>(rng->below(11));
    }
    say->task_line(name, loop_now() + " drew " + std::to_string(i) + ", done");
    co_return i;
}

Coroutine<std::vector<int>> all_three(SplitMix64* rng, Narrator* say) {
    std::vector<Coroutine<int>> makers;
    for (int idx = 0; idx < 3; ++idx) makers.push_back(makerandom(idx, 10 - idx - 1, rng, say));
    co_return co_await gather(std::move(makers));
}

} // namespace

void demo_random_int(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    say.heading("Three coroutines drawing random integers, gathered");
    say.say("makerandom(i) draws an integer from 0 to 10 until it draws more than its threshold (9, 8 "
            "and 7 for i = 0, 1, 2), sleeping i + 1 seconds after each miss. gather() wraps each in a "
            "Task: while one sleeps the others draw, so their lines interleave on one thread. Watch "
            "the times, then the results: they come back in argument order, not in the order the "
            "three finished. The draws come from one SplitMix64 seeded with --seed, so which task "
            "draws which number depends on who wakes first; on the virtual clock that is the same "
            "every run.");
    SplitMix64 rng(opts.seed);
    const Duration t0 = ctx.clock.now();
    const std::vector<int> results = run(all_three(&rng, &say), ctx.clock, demo_run_options(ctx));
    std::string list;
    for (int r : results) list += (list.empty() ? "" : ", ") + std::to_string(r);
    say.line("gathered results: [" + list + "] after " + format_time(ctx.clock.now() - t0) + " (seed " +
             std::to_string(opts.seed) + ")");
    say.source("read gather.hpp: one Task per coroutine, results in argument order");
}

} // namespace looplab::stage06
