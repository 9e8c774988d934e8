/// @file
/// @brief The demos of stage 03, one function each (registered in main.cpp), and the stage's options.
#pragma once

#include <string>

#include "looplab/cli.hpp"
#include "looplab/frames.hpp"
#include "loop.hpp"

namespace looplab::inline stage03 {

/// The stage's own command-line options (main.cpp binds them with CLI11). Zero means "the demo's
/// own default".
struct StageOptions {
    int tasks = 0;                      ///< --tasks: how many tickers (blocking: 3)
    int steps = 0;                      ///< --steps: how many ticks each
    double delay = 0.2;                 ///< --delay: seconds between ticks
    QueueKind queue = QueueKind::Heap;  ///< --queue list|heap
};

/// A sleeper and a reader of /dev/urandom, interleaved; why files are always "ready".
void demo_urandom(DemoContext& ctx, const StageOptions& opts);
/// A child process writes a line every 0.2 s; a reader wakes only when one arrives.
void demo_pipe(DemoContext& ctx, const StageOptions& opts);
/// One blocking call freezes every other coroutine.
void demo_blocking(DemoContext& ctx, const StageOptions& opts);

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

} // namespace looplab::stage03
