/// @file
/// @brief The demos of stage 04, one function each (registered in main.cpp), the stage's options, and `--serve`.
#pragma once

#include <cstdint>
#include <string>

#include "looplab/cli.hpp"
#include "looplab/frames.hpp"
#include "loop.hpp"

namespace looplab::inline stage04 {

/// The stage's own command-line options (main.cpp binds them with CLI11). Zero means "the demo's
/// own default".
struct StageOptions {
    int clients = 0;                    ///< --clients: echo clients (echo: 20)
    int messages = 0;                   ///< --messages: round trips per echo client (echo: 50)
    int size = 0;                       ///< --size: the largest echo message, in bytes (echo: 2048)
    double delay = 0.1;                 ///< --delay: seconds between the recv demo's chunks
    QueueKind queue = QueueKind::Heap;  ///< --queue list|heap
};

/// An in-process server sends 32 KiB in chunks with pauses; a client receives them beside a reader
/// of /dev/urandom and a sleeper.
void demo_recv(DemoContext& ctx, const StageOptions& opts);
/// One echo server and 20 clients on one thread; a summary of bytes and round trips.
void demo_echo(DemoContext& ctx, const StageOptions& opts);
/// The retry loops spelled out: every EAGAIN and EINPROGRESS narrated as it happens.
void demo_ugly(DemoContext& ctx, const StageOptions& opts);

/// `--serve PORT`: runs the echo server alone on 127.0.0.1:PORT (0: a free port) until SIGINT or
/// SIGTERM, then closes every connection and returns 0. The first line it prints is
/// `listening on 127.0.0.1:PORT`. Returns 1 (after printing why) if it cannot start.
int serve_echo(std::uint16_t port);

/// Counts coroutine frames alive since it was made, so a demo can show its own frames only.
class FrameWatch {
public:
    FrameWatch() : start_(frames::counts()) {}
    /// Frames allocated since construction and not freed yet.
    [[nodiscard]] long long alive() const { return frames::counts().alive() - start_.alive(); }
    /// "frames alive: N".
    [[nodiscard]] std::string line() const { return "frames alive: " + std::to_string(alive()); }

private:
    frames::Counts start_;
};

} // namespace looplab::stage04
