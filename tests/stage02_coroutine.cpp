// Stage 02, coroutine.hpp: the events a coroutine yields, nesting, results and exceptions, and that
// every frame is destroyed exactly once, even in a chain 100,000 deep.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "coroutine.hpp"
#include "looplab/clock.hpp"
#include "looplab/frames.hpp"
#include "support/await_chain.hpp"

using namespace looplab;

namespace {
long long alive() { return frames::counts().alive(); }

Duration until_of(const std::optional<Event>& e) {
    REQUIRE(e.has_value());
    REQUIRE(std::holds_alternative<Sleep>(*e));
    return std::get<Sleep>(*e).until;
}

Coroutine<> two_sleeps() {
    co_await Sleep{seconds(1)};
    co_await Sleep{seconds(2)};
}

Coroutine<int> answer_after(Duration at) {
    co_await Sleep{at};
    co_return 42;
}

Coroutine<> awaits_answer(std::vector<int>* seen) {
    const int a = co_await answer_after(seconds(3));
    seen->push_back(a);
    const int b = co_await answer_after(seconds(4));
    seen->push_back(b);
}

Coroutine<int> fails_after(Duration at) {
    co_await Sleep{at};
    throw std::runtime_error("inner failure");
}

Coroutine<> catches(std::string* caught) {
    try {
        co_await fails_after(seconds(1));
    } catch (const std::runtime_error& e) {
        *caught = e.what();
    }
    co_await Sleep{seconds(2)};
}

Coroutine<> lets_it_escape() { co_await fails_after(seconds(1)); }

} // namespace

TEST_CASE("a coroutine is lazy and send() returns each event it awaits, then nothing") {
    const auto before = alive();
    {
        Coroutine<> c = two_sleeps();
        CHECK(alive() == before + 1);
        CHECK_FALSE(c.done());
        CHECK(until_of(c.send()) == seconds(1));
        CHECK(until_of(c.send()) == seconds(2));
        CHECK_FALSE(c.send().has_value());
        CHECK(c.done());
        CHECK_THROWS_AS(c.send(), CoroutineError);
    }
    CHECK(alive() == before);
}

TEST_CASE("nested coroutines pass events up unchanged and results down") {
    const auto before = alive();
    std::vector<int> seen;
    {
        Coroutine<> c = awaits_answer(&seen);
        CHECK(until_of(c.send()) == seconds(3));
        CHECK(c.depth() == 1);   // the event came from one frame down
        CHECK(seen.empty());
        CHECK(until_of(c.send()) == seconds(4));
        CHECK(seen == std::vector<int>{42});
        CHECK_FALSE(c.send().has_value());
        CHECK(seen == std::vector<int>{42, 42});
    }
    CHECK(alive() == before);
}

TEST_CASE("sleep() awaits two half sleeps, each one frame below it, on the clock's time") {
    VirtualClock clock;
    clock.advance(seconds(10));
    Coroutine<> c = sleep(&clock, seconds(1));
    CHECK(until_of(c.send()) == seconds(10.5));
    CHECK(c.depth() == 1);   // sleep() is the outermost here: half_sleep is one frame down
    clock.advance(seconds(0.5));
    CHECK(until_of(c.send()) == seconds(11));
    CHECK(c.depth() == 1);
    clock.advance(seconds(0.5));
    CHECK_FALSE(c.send().has_value());
}

TEST_CASE("an exception in an awaited coroutine reaches the awaiting one, which may catch it") {
    std::string caught;
    Coroutine<> c = catches(&caught);
    CHECK(until_of(c.send()) == seconds(1));
    CHECK(until_of(c.send()) == seconds(2));
    CHECK(caught == "inner failure");
    CHECK_FALSE(c.send().has_value());
}

TEST_CASE("an exception nobody catches is rethrown by send(), once, and the frames are freed") {
    const auto before = alive();
    {
        Coroutine<> c = lets_it_escape();
        c.send();
        CHECK(alive() == before + 2);
        CHECK_THROWS_WITH_AS(c.send(), "inner failure", std::runtime_error);
        CHECK(c.done());
        CHECK_THROWS_AS(c.send(), CoroutineError);
    }
    CHECK(alive() == before);
}

TEST_CASE("a chain 100,000 awaits deep keeps the stack flat and is torn down without recursion") {
    testing::check_deep_await_chain(100000);
}

TEST_CASE("result() before the coroutine has returned is refused") {
    Coroutine<int> c = answer_after(seconds(1));
    CHECK_THROWS_AS((void)c.result(), CoroutineError);
    c.send();
    CHECK_THROWS_AS((void)c.result(), CoroutineError);
    c.send();
    CHECK(c.result() == 42);
}
