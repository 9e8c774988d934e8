/// @file
/// @brief The demos of stage 05, one function each (registered in main.cpp), and what they share.
#pragma once

#include <cstdint>
#include <string>

#include "looplab/cli.hpp"
#include "run.hpp"

namespace looplab::inline stage05 {

/// Options of this stage's command line.
struct StageOptions {
    std::uint64_t seed = 2024;   ///< --seed: the SplitMix64 seed of chain and queue
};

void demo_callbacks(DemoContext& ctx);
void demo_await_vs_task(DemoContext& ctx);
void demo_count(DemoContext& ctx);
void demo_chain(DemoContext& ctx, const StageOptions& opts);
void demo_queue(DemoContext& ctx, const StageOptions& opts);
void demo_chess(DemoContext& ctx);
void demo_cancel(DemoContext& ctx);
void demo_selfish(DemoContext& ctx);
void demo_bench(DemoContext& ctx);

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

} // namespace looplab::stage05
