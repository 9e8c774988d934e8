/// @file
/// @brief Exercise 01_countdown, the reference solution: a countdown written by hand as a state machine.
///
/// The coroutine it stands for:
/// @code
///   Generator<int> countdown(int from) {
///       for (int n = from; n > 0; --n) co_yield n;
///   }
/// @endcode
#pragma once

#include <optional>

namespace looplab::inline stage01 {

/// `countdown(from)` cut into a state machine by hand (handmade.hpp's FibonacciByHand shows the way).
class CountdownByHand {
public:
    /// Like calling the coroutine: stores the parameter, runs none of the body yet.
    explicit CountdownByHand(int from) : from_(from) {}

    /// Runs to the next "yield" and returns its value, or nothing once the loop has ended.
    std::optional<int> resume() {
        switch (state_) {
        case 0:                 // first call: the loop's initialisation
            n_ = from_;
            break;
        case 1:                 // stopped at `co_yield n`: the loop's increment comes next
            --n_;
            break;
        default:                // finished: stays finished
            return std::nullopt;
        }
        if (n_ > 0) {           // the loop condition, then the yield
            state_ = 1;
            return n_;
        }
        state_ = 2;
        return std::nullopt;
    }

    /// Where the function is: 0 not started, 1 stopped at the yield, 2 finished.
    [[nodiscard]] int state() const { return state_; }

private:
    int state_ = 0;   // the resume point
    int from_;        // the parameter, copied in
    int n_ = 0;       // the loop variable, kept alive between calls
};

} // namespace looplab::stage01
