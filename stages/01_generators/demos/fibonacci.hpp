/// @file
/// @brief fibonacci(limit) as a coroutine: the function handmade.hpp cuts into a state machine by hand.
#pragma once

#include "generator.hpp"

namespace looplab::inline stage01 {

/// Yields 0, 1, 1, 2, 3, 5, ... while the value is at most `limit`. The parameter is taken by value:
/// a coroutine outlives the call that created it, so a reference parameter could dangle.
inline Generator<long> fibonacci(long limit) {
    long a = 0, b = 1;
    while (a <= limit) {
        co_yield a;
        const long next = a + b;
        a = b;
        b = next;
    }
}

} // namespace looplab::stage01
