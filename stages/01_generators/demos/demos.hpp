/// @file
/// @brief The demos of stage 01, one function each (registered in main.cpp).
#pragma once

#include <string>

#include "looplab/cli.hpp"
#include "looplab/frames.hpp"

namespace looplab::inline stage01 {

/// FibonacciByHand beside the coroutine it imitates.
void demo_handmade(DemoContext& ctx);
/// next(), laziness, range-for, exhaustion, an abandoned generator.
void demo_basics(DemoContext& ctx);
/// send(): a running average that receives its numbers.
void demo_send(DemoContext& ctx);
/// throw_into(): an exception raised at the suspended co_yield.
void demo_throw(DemoContext& ctx);
/// co_return: the value the caller gets when the generator ends.
void demo_return(DemoContext& ctx);
/// yield_from(): delegation, and a chain 100,000 deep.
void demo_delegate(DemoContext& ctx);
/// Two OS threads beside two coroutines: preemption versus cooperation.
void demo_threads_vs_coroutines(DemoContext& ctx);

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

} // namespace looplab::stage01
