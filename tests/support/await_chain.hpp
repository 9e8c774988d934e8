// A chain of coroutines, each awaiting the next, 100,000 deep: the test that nested awaits keep the
// machine stack flat (symmetric transfer) and that every frame is destroyed exactly once, whether
// the chain finishes or is abandoned at its deepest point.
//
// Shared by the stages whose coroutine.hpp has `Coroutine<R>` and `Sleep` (02, 03): include it
// *after* the stage's coroutine.hpp, and it is compiled against that stage's types. The stages are
// separate programs with separate test binaries, so each gets its own copy of these functions.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>

#include "looplab/frames.hpp"

namespace looplab::testing {

namespace await_chain {
// Where the machine stack is right now (not the coroutine frame, which lives on the heap).
inline std::uintptr_t stack_here() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }
inline std::uintptr_t leaf_stack = 0;
inline std::uintptr_t root_stack_after = 0;

inline std::uintptr_t distance(std::uintptr_t a, std::uintptr_t b) { return a > b ? a - b : b - a; }

// Each level awaits the level below and returns one more than it; the bottom awaits one Sleep.
inline Coroutine<long> chain(int depth) {
    if (depth == 0) {
        leaf_stack = stack_here();
        co_await Sleep{seconds(7)};
        co_return 1;
    }
    const long below = co_await chain(depth - 1);
    root_stack_after = stack_here();
    co_return below + 1;
}
} // namespace await_chain

/// Runs a chain `depth` deep to its end, then abandons another at its deepest point, checking the
/// stack distance and the frame counts.
inline void check_deep_await_chain(int depth) {
    using namespace await_chain;
    const auto before = frames::counts().alive();
    {
        Coroutine<long> c = chain(depth);
        const std::uintptr_t caller = stack_here();
        const auto event = c.send();
        REQUIRE(event.has_value());
        CHECK(std::get<Sleep>(*event).until == seconds(7));
        CHECK(c.depth() == depth);
        CHECK(frames::counts().alive() == before + depth + 1);
        // The innermost frame runs a few machine frames below the caller, not `depth` of them: each
        // co_await jumps into the sub-coroutine instead of calling it. A nested resume per level
        // would put it megabytes away (or overflow the stack first).
        CHECK(distance(caller, leaf_stack) < 64 * 1024);
        CHECK_FALSE(c.send().has_value());   // unwinds: each level returns to its parent by a jump
        CHECK(distance(caller, root_stack_after) < 64 * 1024);
        CHECK(c.result() == depth + 1);
    }
    CHECK(frames::counts().alive() == before);
    {
        // Abandoned while suspended at the bottom: destroyed from the leaf outwards, in a loop.
        Coroutine<long> c = chain(depth);
        c.send();
        CHECK(frames::counts().alive() == before + depth + 1);
    }
    CHECK(frames::counts().alive() == before);
}

} // namespace looplab::testing
