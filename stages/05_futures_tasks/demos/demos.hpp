/// @file
/// @brief The demos of stage 05, one function each (registered in main.cpp), and what they share.
#pragma once

#include <cstdint>
#include <string>

#include "looplab/cli.hpp"
#include "run.hpp"

namespace looplab::inline stage05 {

/// Plain callbacks, then the same program as a coroutine.
void demo_callbacks(DemoContext& ctx);
/// Awaiting a coroutine runs it inline; creating a task runs it concurrently.
void demo_await_vs_task(DemoContext& ctx);
/// Five counters as tasks: 3 s, not 15 s.
void demo_count(DemoContext& ctx);
/// A task that never awaits starves the others; debug mode names it; sleep(0) fixes it.
void demo_selfish(DemoContext& ctx);
/// One sock_recv() followed through the split, step by step, from the trace.
void demo_recv_chain(DemoContext& ctx);

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
