// Stage 01: yield_from, Python's `yield from`: values out, sent values and exceptions in, the return
// value back; a chain 100,000 deep neither overflows the stack nor leaks a frame.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "generator.hpp"
#include "looplab/frames.hpp"

using namespace looplab;

namespace {
struct FrameCheck {
    frames::Counts start = frames::counts();
    long long alive() const { return frames::counts().alive() - start.alive(); }
};

struct Skip {};

// Sums what it is sent until next() sends nothing; yields the running sum; returns the total.
Generator<int, int, int> summer(std::vector<std::string>* log) {
    int total = 0;
    while (true) {
        std::optional<int> v;
        try {
            v = co_yield total;
        } catch (const Skip&) {
            log->push_back("summer caught Skip");
            continue;
        }
        if (!v) break;
        total += *v;
    }
    co_return total;
}

Generator<int, int, std::vector<int>> two_sums(std::vector<std::string>* log) {
    std::vector<int> totals;
    totals.push_back(co_await yield_from(summer(log)));
    log->push_back("first sum returned");
    totals.push_back(co_await yield_from(summer(log)));
    co_return totals;
}

Generator<int> inner_fails() {
    co_yield 1;
    throw std::runtime_error("inner failed");
}

Generator<int, void, std::string> outer_catches() {
    std::string caught;
    try {
        co_await yield_from(inner_fails());
    } catch (const std::runtime_error& e) {
        caught = e.what();   // no co_yield inside a handler: C++ forbids suspending there
    }
    co_yield 99;
    co_return "caught: " + caught;
}

Generator<int> outer_lets_it_escape() {
    co_yield 0;
    co_await yield_from(inner_fails());
    co_yield 2;   // never reached
}

// Where the machine stack is right now (not the coroutine frame, which lives on the heap).
std::uintptr_t stack_here() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }

std::uintptr_t leaf_stack = 0;
std::uintptr_t root_stack_after = 0;

Generator<int, void, long> chain(int depth, int values) {
    if (depth == 0) {
        for (int i = 0; i < values; ++i) {
            leaf_stack = stack_here();
            co_yield i;
        }
        co_return 1;
    }
    const long below = co_await yield_from(chain(depth - 1, values));
    root_stack_after = stack_here();
    co_return below + 1;
}
} // namespace

TEST_CASE("delegation: values flow out, sent values flow in, return values come back") {
    std::vector<std::string> log;
    auto g = two_sums(&log);
    CHECK(g.next() == 0);
    CHECK(g.send(5) == 5);
    CHECK(g.send(7) == 12);
    CHECK(g.next() == 0);      // ends the first summer; the second starts and yields its 0
    CHECK(log == std::vector<std::string>{"first sum returned"});
    CHECK(g.send(1) == 1);
    CHECK_FALSE(g.next().has_value());
    CHECK(g.result() == std::vector<int>{12, 1});
}

TEST_CASE("delegation: an exception thrown in reaches the sub-generator") {
    std::vector<std::string> log;
    auto g = two_sums(&log);
    g.next();
    g.send(3);
    CHECK(g.throw_into(Skip{}) == 3);
    CHECK(log == std::vector<std::string>{"summer caught Skip"});
    CHECK(g.send(4) == 7);
}

TEST_CASE("delegation: an exception escaping the sub-generator can be caught by the delegator") {
    FrameCheck frames;
    {
        auto g = outer_catches();
        CHECK(g.next() == 1);
        CHECK(g.next() == 99);
        CHECK_FALSE(g.next().has_value());
        CHECK(g.result() == "caught: inner failed");
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("delegation: an exception nobody catches reaches the caller") {
    FrameCheck frames;
    {
        auto g = outer_lets_it_escape();
        CHECK(g.next() == 0);
        CHECK(g.next() == 1);
        CHECK_THROWS_WITH_AS(g.next(), "inner failed", std::runtime_error);
        CHECK(g.done());
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("delegation: a sub-generator that already finished gives its result at once") {
    auto done_sub = []() -> Generator<int, void, int> { co_return 7; };
    auto outer = [](Generator<int, void, int> sub) -> Generator<int, void, int> {
        co_return co_await yield_from(std::move(sub));
    };
    auto sub = done_sub();
    CHECK_FALSE(sub.next().has_value());   // runs it to its end
    auto g = outer(std::move(sub));
    CHECK_FALSE(g.next().has_value());
    CHECK(g.result() == 7);
}

TEST_CASE("a chain 100,000 deep: the stack stays flat and every frame is freed once") {
    constexpr int depth = 100000;
    FrameCheck frames;
    {
        auto g = chain(depth, 3);
        const std::uintptr_t caller = stack_here();
        CHECK(g.next() == 0);
        CHECK(frames.alive() == depth + 1);
        // The innermost frame runs a few machine frames below the caller, not 100,000 of them. A
        // nested resume per level would put it megabytes away (or overflow the stack first).
        const auto leaf_distance = caller > leaf_stack ? caller - leaf_stack : leaf_stack - caller;
        CHECK(leaf_distance < 64 * 1024);
        CHECK(g.next() == 1);
        CHECK(g.next() == 2);
        CHECK_FALSE(g.next().has_value());   // unwinds: each level returns to its parent by a jump
        const auto root_distance = caller > root_stack_after ? caller - root_stack_after : root_stack_after - caller;
        CHECK(root_distance < 64 * 1024);
        CHECK(g.result() == depth + 1);
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("a chain 100,000 deep abandoned at its deepest point is torn down without recursion") {
    constexpr int depth = 100000;
    FrameCheck frames;
    {
        auto g = chain(depth, 5);
        CHECK(g.next() == 0);
        CHECK(frames.alive() == depth + 1);
    }   // destroyed innermost first, in a loop: a recursive teardown would overflow here
    CHECK(frames.alive() == 0);
}
