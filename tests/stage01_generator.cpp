// Stage 01: Generator behaves like a Python generator, including its failure paths, and every
// coroutine frame is freed exactly once.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "demos/fibonacci.hpp"
#include "generator.hpp"
#include "handmade.hpp"
#include "looplab/clock.hpp"
#include "looplab/frames.hpp"
#include "looplab/trace.hpp"

using namespace looplab;

namespace {
// Frames allocated during a test and not freed yet.
struct FrameCheck {
    frames::Counts start = frames::counts();
    long long alive() const { return frames::counts().alive() - start.alive(); }
    long long allocated() const { return frames::counts().allocated - start.allocated; }
};

Generator<int> count_to(int n, int* body_runs) {
    *body_runs += 1;
    for (int i = 1; i <= n; ++i) co_yield i;
}

Generator<int> fails_after(int n) {
    for (int i = 0; i < n; ++i) co_yield i;
    throw std::runtime_error("failed inside");
}

Generator<int, int> echo_plus_one() {
    int last = 0;
    while (true) {
        std::optional<int> got = co_yield last;
        last = got ? *got + 1 : -1;
    }
}

struct Reset {};

Generator<int> resettable() {
    int n = 0;
    while (true) {
        try {
            co_yield n++;
        } catch (const Reset&) {
            n = 100;
        }
    }
}

Generator<int, void, std::string> two_then_return() {
    co_yield 1;
    co_yield 2;
    co_return "finished";
}
} // namespace

TEST_CASE("the hand-made state machine and the coroutine yield the same sequence") {
    FibonacciByHand by_hand(1000);
    auto coroutine = fibonacci(1000);
    CHECK(by_hand.state() == 0);
    int n = 0;
    while (true) {
        const auto a = by_hand.resume();
        const auto b = coroutine.next();
        REQUIRE(a == b);
        if (!a) break;
        ++n;
    }
    CHECK(n == 17);   // 0 1 1 2 3 5 8 13 21 34 55 89 144 233 377 610 987
    CHECK(by_hand.state() == 2);
    CHECK_FALSE(by_hand.resume().has_value());
}

TEST_CASE("the body does not run until the first next()") {
    int runs = 0;
    auto g = count_to(3, &runs);
    CHECK(runs == 0);
    CHECK_FALSE(g.started());
    CHECK(g.next() == 1);
    CHECK(runs == 1);
    CHECK(g.started());
}

TEST_CASE("next() on an exhausted generator keeps returning nothing") {
    int runs = 0;
    auto g = count_to(2, &runs);
    CHECK(g.next() == 1);
    CHECK(g.next() == 2);
    CHECK_FALSE(g.done());
    CHECK_FALSE(g.next().has_value());
    CHECK(g.done());
    CHECK_FALSE(g.next().has_value());
    CHECK_FALSE(g.next().has_value());
    CHECK(runs == 1);
}

TEST_CASE("range-for iterates the remaining values") {
    int runs = 0;
    auto g = count_to(5, &runs);
    CHECK(g.next() == 1);   // iteration continues from wherever the generator is
    std::vector<int> seen;
    for (int v : g) seen.push_back(v);
    CHECK(seen == std::vector<int>{2, 3, 4, 5});
}

TEST_CASE("an empty Generator is done and yields nothing") {
    Generator<int> g;
    CHECK(g.done());
    CHECK_FALSE(g.next().has_value());
}

TEST_CASE("send: into a fresh generator is an error; after next() the value arrives at co_yield") {
    auto g = echo_plus_one();
    CHECK_THROWS_AS(g.send(5), GeneratorError);
    CHECK_FALSE(g.started());   // the refused send did not start it
    CHECK(g.next() == 0);
    CHECK(g.send(5) == 6);
    CHECK(g.send(41) == 42);
    CHECK(g.next() == -1);      // next() sends nothing: the co_yield gives an empty optional
}

TEST_CASE("throw_into: caught inside, the generator goes on") {
    auto g = resettable();
    CHECK(g.next() == 0);
    CHECK(g.next() == 1);
    CHECK(g.throw_into(Reset{}) == 100);
    CHECK(g.next() == 101);
}

TEST_CASE("throw_into: not caught, it comes back to the caller and the generator is done") {
    FrameCheck frames;
    {
        auto g = resettable();
        CHECK(g.next() == 0);
        CHECK_THROWS_WITH_AS(g.throw_into(std::runtime_error("stop")), "stop", std::runtime_error);
        CHECK(g.done());
        CHECK_FALSE(g.next().has_value());
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("throw_into a fresh generator: raised before the body's first line") {
    int runs = 0;
    auto g = count_to(3, &runs);
    CHECK_THROWS_AS(g.throw_into(std::runtime_error("early")), std::runtime_error);
    CHECK(runs == 0);
    CHECK(g.done());
}

TEST_CASE("throw_into a finished generator: rethrown at once") {
    int runs = 0;
    auto g = count_to(1, &runs);
    for ([[maybe_unused]] int v : g) {}
    CHECK_THROWS_AS(g.throw_into(std::logic_error("late")), std::logic_error);
}

TEST_CASE("an exception escaping the body reaches next() once; the generator is then done") {
    FrameCheck frames;
    {
        auto g = fails_after(2);
        CHECK(g.next() == 0);
        CHECK(g.next() == 1);
        CHECK_THROWS_WITH_AS(g.next(), "failed inside", std::runtime_error);
        CHECK(g.done());
        CHECK_FALSE(g.next().has_value());
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("co_return: result() after the end, GeneratorError before") {
    auto g = two_then_return();
    CHECK_THROWS_AS((void)g.result(), GeneratorError);
    CHECK(g.next() == 1);
    CHECK_THROWS_AS((void)g.result(), GeneratorError);
    CHECK(g.next() == 2);
    CHECK_FALSE(g.next().has_value());
    CHECK(g.result() == "finished");
}

TEST_CASE("frames: one per generator, freed when finished, abandoned, or never started") {
    FrameCheck frames;
    {
        int runs = 0;
        auto finished = count_to(2, &runs);
        for ([[maybe_unused]] int v : finished) {}
        auto abandoned = count_to(10, &runs);
        abandoned.next();
        auto never_started = count_to(3, &runs);
        CHECK(frames.allocated() == 3);
        CHECK(frames.alive() == 3);
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("moving a generator moves the frame, not a copy") {
    FrameCheck frames;
    {
        int runs = 0;
        auto a = count_to(3, &runs);
        CHECK(a.next() == 1);
        Generator<int> b = std::move(a);
        CHECK(a.done());
        CHECK(b.next() == 2);
        Generator<int> c;
        c = std::move(b);
        CHECK(c.next() == 3);
        CHECK(frames.allocated() == 1);
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("a traced generator records each resume and suspend") {
    VirtualClock clock;
    Tracer tracer(clock);
    tracer.keep_events(true);
    int runs = 0;
    auto g = count_to(1, &runs);
    g.traced(tracer, "count");
    g.next();
    g.next();
    const auto& ev = tracer.events();
    REQUIRE(ev.size() == 4);
    CHECK(ev[0].kind == TraceKind::Resume);
    CHECK(ev[1].kind == TraceKind::Suspend);
    CHECK(ev[1].detail == "yielded 1");
    CHECK(ev[2].kind == TraceKind::Resume);
    CHECK(ev[3].kind == TraceKind::Done);
}
