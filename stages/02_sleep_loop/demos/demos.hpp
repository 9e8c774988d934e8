/// @file
/// @brief The demos of stage 02, one function each (registered in main.cpp), and the stage's options.
#pragma once

#include <string>

#include "looplab/cli.hpp"
#include "looplab/frames.hpp"
#include "loop.hpp"

namespace looplab::inline stage02 {

/// The stage's own command-line options (main.cpp binds them with CLI11). Zero means "the demo's
/// own default", because the demos want different sizes: sleepy 5 tasks, scaling up to 10,000.
struct StageOptions {
    int tasks = 0;                      ///< --tasks: how many sleepers (scaling: the largest N)
    int steps = 0;                      ///< --steps: how many sleeps each
    double delay = 0.1;                 ///< --delay: seconds per sleep
    QueueKind queue = QueueKind::Heap;  ///< --queue list|heap
};

/// Five coroutines, five sleeps of 0.1 s each, done in 0.5 s.
void demo_sleepy(DemoContext& ctx, const StageOptions& opts);
/// The sleep() helper awaits two half sleeps: events pass up through nested coroutines to the loop;
/// results and exceptions go back to the awaiting coroutine.
void demo_nested(DemoContext& ctx, const StageOptions& opts);
/// The loop's own time per resume, sorted list against heap, as N grows.
void demo_scaling(DemoContext& ctx, const StageOptions& opts);

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

} // namespace looplab::stage02
