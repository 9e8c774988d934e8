// Demo `chain`: for each n, a first step and then a second step that uses the first's result, each
// after a seeded random delay. The chains run concurrently; inside a chain the steps are sequential.
#include <cstdio>
#include <string>
#include <vector>

#include "demos/demos.hpp"
#include "looplab/random.hpp"

namespace looplab::inline stage06 {

namespace {

// Whole seconds 0..10, as Python's random.randint(0, 10): below(11) of the shared SplitMix64.
Coroutine<std::string> part1(int n, SplitMix64* rng, Narrator* say) {
    const auto delay = static_cast<int>(rng->below(11));
    say->task_line("chain " + std::to_string(n), loop_now() + " part1(" + std::to_string(n) + ") sleeping for " +
                                                     std::to_string(delay) + " seconds");
    co_await sleep(delay);
    std::string result = "result" + std::to_string(n) + "-1";
    say->task_line("chain " + std::to_string(n), loop_now() + " returning part1(" + std::to_string(n) + ") == " + result);
    co_return result;
}

Coroutine<std::string> part2(int n, std::string arg, SplitMix64* rng, Narrator* say) {
    const auto delay = static_cast<int>(rng->below(11));
    say->task_line("chain " + std::to_string(n), loop_now() + " part2(" + std::to_string(n) + ", " + arg +
                                                     ") sleeping for " + std::to_string(delay) + " seconds");
    co_await sleep(delay);
    std::string result = "result" + std::to_string(n) + "-2 derived from " + arg;
    say->task_line("chain " + std::to_string(n), loop_now() + " returning part2(" + std::to_string(n) + ", " + arg +
                                                     ") == " + result);
    co_return result;
}

Coroutine<void> chain(int n, SplitMix64* rng, Narrator* say) {
    const Duration start = get_running_loop().time();
    std::string p1 = co_await part1(n, rng, say);
    std::string p2 = co_await part2(n, p1, rng, say);
    say->task_line("chain " + std::to_string(n), loop_now() + " --> chained result" + std::to_string(n) + " => " + p2 +
                                                     " (took " + format_time(get_running_loop().time() - start) + ")");
}

Coroutine<void> all_chains(SplitMix64* rng, Narrator* say) {
    std::vector<Coroutine<void>> chains;
    for (int n : {9, 6, 3}) chains.push_back(chain(n, rng, say));
    co_await gather(std::move(chains));
}

} // namespace

void demo_chain(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    say.heading("Three chains of two dependent steps");
    say.say("part2 needs part1's result, so inside one chain they run in order (co_await). The three "
            "chains are gathered, so they run concurrently. The delays come from SplitMix64 seeded with "
            "--seed (common/random.hpp documents the formula, so a Python twin can draw the same ones).");
    SplitMix64 rng(opts.seed);
    const Duration t0 = ctx.clock.now();
    run(all_chains(&rng, &say), ctx.clock, demo_run_options(ctx));
    say.line("all chains done in " + format_time(ctx.clock.now() - t0) + " (seed " + std::to_string(opts.seed) + ")");
    say.say("The total is the longest chain, not the sum of all six delays.");
}

} // namespace looplab::stage06
