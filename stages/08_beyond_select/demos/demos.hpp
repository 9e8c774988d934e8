/// @file
/// @brief The demos of stage 08, one function each (registered in main.cpp), and what they share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "looplab/cli.hpp"
#include "run.hpp"

namespace looplab::inline stage08 {

/// Options of this stage's command line.
struct StageOptions {
    std::vector<int> connections{10, 100, 500, 1000, 10000};   ///< --connections: the sizes c10k measures
    int iterations = 2000;       ///< --iterations: loop iterations timed per size and selector (c10k)
    int workers = 4;             ///< --workers: threads of each loop's default executor
    double watchdog = 0;         ///< --watchdog: seconds a callback may run before a report (0: off)
};

/// select() against epoll as the number of idle connections grows: the cost of one loop iteration.
void demo_c10k(DemoContext& ctx, const StageOptions& opts);

/// Stage 03's blocking demo with the blocking call on a thread; a file read through a thread.
void demo_to_thread(DemoContext& ctx, const StageOptions& opts);

/// A blocking step reported by the watchdog while it blocks, and by debug mode after.
void demo_watchdog(DemoContext& ctx, const StageOptions& opts);

/// `--serve PORT`: the streams echo server alone on 127.0.0.1:PORT (0: a free port) until SIGINT or
/// SIGTERM, then closes every connection and returns 0. The first line it prints is
/// `listening on 127.0.0.1:PORT`. Returns 1 (after printing why) if it cannot start.
int serve_echo(std::uint16_t port);

/// run()'s options for a demo: its tracer, and loop reports spoken as demo lines.
inline RunOptions demo_run_options(DemoContext& ctx, const StageOptions& opts, bool debug = false) {
    RunOptions o;
    o.tracer = &ctx.trace;
    o.debug = debug;
    o.workers = opts.workers;
    o.watchdog = seconds(opts.watchdog);
    Narrator* say = &ctx.say;
    o.exception_handler = [say](const ErrorContext& c) { say->line("loop reports: " + format_report(c)); };
    return o;
}

/// A loop's time, formatted: "1.500s".
inline std::string loop_time_label(const EventLoop& loop) { return format_time(loop.time()); }

/// The running loop's time, formatted: "1.500s".
inline std::string loop_now() { return format_time(get_running_loop().time()); }

} // namespace looplab::stage08
