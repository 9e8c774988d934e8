/// @file
/// @brief The demos of stage 07, one function each (registered in main.cpp), and what they share.
#pragma once

#include <cstdint>
#include <string>

#include "looplab/cli.hpp"
#include "run.hpp"

namespace looplab::inline stage07 {

/// Options of this stage's command line.
struct StageOptions {
    int clients = 0;             ///< --clients: echo clients (0: the demo's 20)
    int messages = 0;            ///< --messages: round trips per echo client (0: the demo's 50)
    int size = 0;                ///< --size: the longest echo line in bytes (0: the demo's 2048)
};

/// A streams echo server and clients that check every line, on one thread.
void demo_echo(DemoContext& ctx, const StageOptions& opts);
/// The echo workload against a server written as a Protocol (push); the clients pull with streams.
void demo_echo_protocol(DemoContext& ctx, const StageOptions& opts);

/// `--serve PORT`: the streams echo server alone on 127.0.0.1:PORT (0: a free port) until SIGINT or
/// SIGTERM, then closes every connection and returns 0. The first line it prints is
/// `listening on 127.0.0.1:PORT`. Returns 1 (after printing why) if it cannot start.
int serve_echo(std::uint16_t port);

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

} // namespace looplab::stage07
