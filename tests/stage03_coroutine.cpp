// Stage 03, coroutine.hpp: the Read event, answers sent in, errors thrown in at the co_await.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "coroutine.hpp"
#include "looplab/frames.hpp"
#include "support/await_chain.hpp"

using namespace looplab;

namespace {
Coroutine<std::string> read_two(int fd) {
    std::string a = co_await Read{fd, 3};
    std::string b = co_await Read{fd, 5};
    co_return a + "|" + b;
}

Coroutine<> outer(int fd, std::string* out, std::string* caught) {
    *out = co_await read_two(fd);
    try {
        co_await Read{fd, 1};
    } catch (const std::invalid_argument& e) {
        *caught = e.what();
    }
    co_await Sleep{seconds(1)};
}

Coroutine<> never_started(bool* ran) {
    *ran = true;
    co_return;
}
} // namespace

TEST_CASE("a Read event goes up to the driver and the bytes sent in are the value of co_await") {
    const auto before = frames::counts().alive();
    std::string out, caught;
    {
        Coroutine<> c = outer(7, &out, &caught);
        auto e = c.send();
        REQUIRE(e.has_value());
        REQUIRE(std::holds_alternative<Read>(*e));
        CHECK(std::get<Read>(*e).fd == 7);
        CHECK(std::get<Read>(*e).amount == 3);
        CHECK(describe(*e) == "Read 3 bytes from fd 7");
        CHECK(c.depth() == 1);
        e = c.send("abc");
        REQUIRE(std::holds_alternative<Read>(*e));
        CHECK(std::get<Read>(*e).amount == 5);
        e = c.send("defgh");
        CHECK(out == "abc|defgh");
        REQUIRE(std::holds_alternative<Read>(*e));
        CHECK(c.depth() == 0);
        e = c.throw_into(std::make_exception_ptr(std::invalid_argument("refused")));
        CHECK(caught == "refused");
        REQUIRE(std::holds_alternative<Sleep>(*e));
        CHECK_FALSE(c.send().has_value());
        CHECK_THROWS_AS(c.throw_into(std::make_exception_ptr(std::runtime_error("late"))), CoroutineError);
    }
    CHECK(frames::counts().alive() == before);
}

TEST_CASE("an error thrown into a coroutine that has not started is raised before its first line") {
    bool ran = false;
    Coroutine<> c = never_started(&ran);
    CHECK_THROWS_WITH_AS(c.throw_into(std::make_exception_ptr(std::runtime_error("too early"))), "too early",
                         std::runtime_error);
    CHECK_FALSE(ran);
    CHECK(c.done());
}

TEST_CASE("a chain 100,000 awaits deep keeps the stack flat and is torn down without recursion") {
    testing::check_deep_await_chain(100000);
}
