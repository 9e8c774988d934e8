// Demo `handmade`: the state machine written by hand, resumed in lockstep with the coroutine the
// compiler makes from the same function. Same values, same stopping point.
#include <cstdio>
#include <stdexcept>

#include "demos/demos.hpp"
#include "demos/fibonacci.hpp"
#include "generator.hpp"
#include "handmade.hpp"

namespace looplab::inline stage01 {

namespace {
std::string cell(const std::optional<long>& v) { return v ? std::to_string(*v) : "-"; }
} // namespace

void demo_handmade(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("One function, two ways to pause it");
    say.say("fibonacci(100) yields 0, 1, 1, 2, 3, ... up to 100. On the left, FibonacciByHand: a struct "
            "whose members are the function's locals and whose state number says where it stopped. On "
            "the right, the same function as a C++20 coroutine. Both are resumed once per row.");
    say.source("read FibonacciByHand::resume() in handmade.hpp");

    FrameWatch frames;
    FibonacciByHand by_hand(100);
    Generator<long> coroutine = fibonacci(100);
    coroutine.traced(ctx.trace, "fibonacci");

    say.line("resume   by hand  state   coroutine");
    for (int step = 1;; ++step) {
        const auto left = by_hand.resume();
        const auto right = coroutine.next();
        char row[80];
        std::snprintf(row, sizeof row, "%6d   %7s  %5d   %9s", step, cell(left).c_str(), by_hand.state(),
                      cell(right).c_str());
        say.line(row);
        if (left != right) throw std::logic_error("the hand-made machine and the coroutine disagree");
        if (!left) break;
    }
    say.gap();
    say.say("Same values, same end. What the compiler generated for the coroutine is what we wrote by "
            "hand: the locals a and b moved into a frame on the heap, plus a resume point. The coroutine "
            "reports its frame through the counting operator new in generator.hpp:");
    say.line("coroutine " + frames.line() + " (its frame stays until the Generator is destroyed)");
    say.source("next: the file comment of generator.hpp, then `01-generators basics`");
}

} // namespace looplab::stage01
