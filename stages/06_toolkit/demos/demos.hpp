/// @file
/// @brief The demos of stage 06, one function each (registered in main.cpp), and what they share.
#pragma once

#include <cstdint>
#include <string>

#include "looplab/cli.hpp"
#include "run.hpp"

namespace looplab::inline stage06 {

/// Options of this stage's command line.
struct StageOptions {
    std::uint64_t seed = 2024;   ///< --seed: the SplitMix64 seed of chain, queue and random-int
};

/// Chains of two dependent steps with seeded random delays, gathered.
void demo_chain(DemoContext& ctx, const StageOptions& opts);
/// Producers and consumers around a Queue.
void demo_queue(DemoContext& ctx, const StageOptions& opts);
/// One master, 24 boards, a Lock.
void demo_chess(DemoContext& ctx);
/// Cancellation in depth, and wait_for timing out.
void demo_cancel(DemoContext& ctx);
/// Three coroutines drawing seeded random integers until each beats its threshold, gathered.
void demo_random_int(DemoContext& ctx, const StageOptions& opts);
/// One waiter, three customers: orders taken one table at a time (16 min), then gathered (10 min).
void demo_restaurant(DemoContext& ctx);

/// run()'s options for a demo: its tracer, and loop reports spoken as demo lines.
inline RunOptions demo_run_options(DemoContext& ctx, bool debug = false) {
    RunOptions o;
    o.tracer = &ctx.trace;
    o.debug = debug;
    Narrator* say = &ctx.say;
    o.exception_handler = [say](const ErrorContext& c) { say->line("loop reports: " + format_report(c)); };
    return o;
}

/// A loop's time, formatted: "1.500s".
inline std::string loop_time_label(const EventLoop& loop) { return format_time(loop.time()); }

/// The running loop's time, formatted: "1.500s".
inline std::string loop_now() { return format_time(get_running_loop().time()); }

} // namespace looplab::stage06
