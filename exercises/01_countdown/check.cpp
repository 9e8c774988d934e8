// Exercise 01_countdown: CountdownByHand must behave exactly like the coroutine it stands for,
// which the compiler builds from the same loop (generator.hpp).
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <optional>
#include <vector>

#include "countdown.hpp"
#include "generator.hpp"

using namespace looplab;

namespace {
Generator<int> countdown(int from) {
    for (int n = from; n > 0; --n) co_yield n;
}

std::vector<int> all(CountdownByHand c) {
    std::vector<int> got;
    for (int guard = 0; guard < 1000; ++guard) {
        auto v = c.resume();
        if (!v) break;
        got.push_back(*v);
    }
    return got;
}
} // namespace

TEST_CASE("creating the countdown runs none of its body" *
          doctest::description("the constructor only stores the parameter; state() is 0 until the first resume()")) {
    CountdownByHand c(3);
    CHECK(c.state() == 0);
}

TEST_CASE("countdown(3) yields 3, 2, 1 and then nothing" *
          doctest::description("the first resume() sets the loop variable from the parameter; each later one "
                               "decrements it; the loop condition decides between yielding and finishing")) {
    CountdownByHand c(3);
    CHECK(c.resume() == std::optional<int>(3));
    CHECK(c.state() == 1);
    CHECK(c.resume() == std::optional<int>(2));
    CHECK(c.resume() == std::optional<int>(1));
    CHECK(c.resume() == std::nullopt);
    CHECK(c.state() == 2);
}

TEST_CASE("a finished countdown stays finished" *
          doctest::description("once the loop has ended, every later resume() returns std::nullopt: state 2 "
                               "must not fall back into the loop")) {
    CountdownByHand c(1);
    CHECK(c.resume() == std::optional<int>(1));
    for (int i = 0; i < 3; ++i) CHECK(c.resume() == std::nullopt);
    CHECK(c.state() == 2);
}

TEST_CASE("countdown(0) and countdown(-2) yield nothing at all" *
          doctest::description("the loop condition is checked before the first yield too")) {
    CHECK(all(CountdownByHand(0)).empty());
    CHECK(all(CountdownByHand(-2)).empty());
}

TEST_CASE("by hand and by the compiler: the same values for every n from 0 to 12" *
          doctest::description("compare your resume() with the coroutine at the top of check.cpp, line by line")) {
    for (int n = 0; n <= 12; ++n) {
        std::vector<int> expected;
        for (int v : countdown(n)) expected.push_back(v);
        CHECK(all(CountdownByHand(n)) == expected);
    }
}
