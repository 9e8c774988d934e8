/// @file
/// @brief A resumable function written by hand: what the compiler will do for us.
///
/// **What this file adds.** The one new idea of stage 01 is a function that can stop half-way, hand
/// a value to its caller, and later carry on *with its local variables intact*. Before letting the
/// compiler do that (generator.hpp), we do it ourselves, for this function:
///
/// @code
///   Generator<long> fibonacci(long limit) {
///       long a = 0, b = 1;
///       while (a <= limit) {
///           co_yield a;                     // stop here, hand `a` out, resume here later
///           long next = a + b; a = b; b = next;
///       }
///   }
/// @endcode
///
/// A normal function keeps its locals on the stack, and the stack frame is gone when it returns. To
/// return *and* come back, the locals must live somewhere that survives the return: here, members of
/// a struct. And the function must remember where it was: here, a state number. `resume()` is the
/// function body cut at the `co_yield`, with a `switch` that jumps to where the last call stopped.
///
/// | in the coroutine      | in FibonacciByHand                                  |
/// |-----------------------|-----------------------------------------------------|
/// | locals `a`, `b`       | members `a_`, `b_` (the compiler's *frame*)          |
/// | the parameter `limit` | member `limit_` (parameters are copied into the frame) |
/// | "where am I?"         | `state_`: 0 not started, 1 stopped at co_yield, 2 finished |
/// | `co_yield a`          | `state_ = 1; return a_;`                              |
/// | resuming              | calling `resume()` again                             |
///
/// **What it leaves out.** Everything that makes this general: the compiler does it for any function,
/// with any number of suspension points, exceptions, and values passed back in. Writing the state
/// machine by hand is fine for one function and miserable for a hundred.
///
/// **What it costs.** Nothing hidden: the object is exactly its members, it lives wherever you put it
/// (no heap allocation), and a resume is a function call and a switch. The compiler's version costs a
/// heap-allocated frame (unless it can elide it) and an indirect call; in exchange you write the
/// function as a function.
#pragma once

#include <optional>

namespace looplab::inline stage01 {

/// `fibonacci(limit)` cut into a state machine by hand. Each resume() runs the body until the next
/// point where the coroutine would `co_yield`, and returns that value; nothing when the body ends.
class FibonacciByHand {
public:
    /// Like calling the coroutine: stores the parameter, runs none of the body yet.
    explicit FibonacciByHand(long limit) : limit_(limit) {}

    /// Runs to the next "yield" and returns its value, or nothing once the loop has ended.
    std::optional<long> resume() {
        switch (state_) {
        case 0:                     // first call: run the code before the loop
            a_ = 0;
            b_ = 1;
            break;
        case 1: {                   // we stopped at `co_yield a`: continue with the line after it
            const long next = a_ + b_;
            a_ = b_;
            b_ = next;
            break;
        }
        default:                    // finished: stays finished
            return std::nullopt;
        }
        if (a_ <= limit_) {         // the loop condition, then the yield itself
            state_ = 1;
            return a_;
        }
        state_ = 2;                 // fell off the end of the function
        return std::nullopt;
    }

    /// Where the function is: 0 not started, 1 stopped at the yield, 2 finished.
    [[nodiscard]] int state() const { return state_; }

private:
    int state_ = 0;   // the resume point
    long limit_;      // the parameter, copied in
    long a_ = 0;      // the locals, kept alive between calls
    long b_ = 0;
};

} // namespace looplab::stage01
