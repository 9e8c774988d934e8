/// @file
/// @brief Exercise 01_countdown, the starter: a countdown written by hand as a state machine.
///
/// The coroutine it stands for:
/// @code
///   Generator<int> countdown(int from) {
///       for (int n = from; n > 0; --n) co_yield n;
///   }
/// @endcode
#pragma once

#include <optional>
#include <stdexcept>

namespace looplab::inline stage01 {

/// `countdown(from)` cut into a state machine by hand (handmade.hpp's FibonacciByHand shows the way).
class CountdownByHand {
public:
    /// Like calling the coroutine: stores the parameter, runs none of the body yet.
    explicit CountdownByHand(int from) : from_(from) {}

    /// Runs to the next "yield" and returns its value, or nothing once the loop has ended.
    std::optional<int> resume() {
        // ===== WRITE THIS (exercise 01_countdown) ===================================================
        // One call runs the body from where the last call stopped (state_) to the next `co_yield n`,
        // and returns n; once the loop has ended it returns std::nullopt, then and on every later
        // call. exercises/01_countdown/README.md has the task and hints.
        throw std::logic_error("CountdownByHand::resume is not written yet (exercise 01_countdown)");
    }

    /// Where the function is: 0 not started, 1 stopped at the yield, 2 finished.
    [[nodiscard]] int state() const { return state_; }

private:
    int state_ = 0;   // the resume point
    int from_;        // the parameter, copied in
    int n_ = 0;       // the loop variable, kept alive between calls
};

} // namespace looplab::stage01
