// Stage 04, coroutine.hpp: the readiness events Readable and Writable go up to the driver; the
// co_await has no value; errors are thrown in at the co_await; nesting stays flat.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "coroutine.hpp"
#include "looplab/frames.hpp"
#include "support/await_chain.hpp"

using namespace looplab;

namespace {
Coroutine<int> wait_both(int fd) {
    co_await Readable{fd};
    co_await Writable{fd};
    co_return fd * 2;
}

Coroutine<> outer(int fd, int* out, std::string* caught) {
    *out = co_await wait_both(fd);
    try {
        co_await Readable{fd};
    } catch (const std::invalid_argument& e) {
        *caught = e.what();
    }
    co_await Sleep{seconds(1)};
}
} // namespace

TEST_CASE("Readable and Writable go up to the driver, send() resumes, errors are raised at the co_await") {
    const auto before = frames::counts().alive();
    int out = 0;
    std::string caught;
    {
        Coroutine<> c = outer(7, &out, &caught);
        auto e = c.send();
        REQUIRE(e.has_value());
        REQUIRE(std::holds_alternative<Readable>(*e));
        CHECK(std::get<Readable>(*e).fd == 7);
        CHECK(describe(*e) == "Readable fd 7");
        CHECK(c.depth() == 1);
        e = c.send();
        REQUIRE(std::holds_alternative<Writable>(*e));
        CHECK(describe(*e) == "Writable fd 7");
        e = c.send();
        CHECK(out == 14);
        REQUIRE(std::holds_alternative<Readable>(*e));
        CHECK(c.depth() == 0);
        e = c.throw_into(std::make_exception_ptr(std::invalid_argument("refused")));
        CHECK(caught == "refused");
        REQUIRE(std::holds_alternative<Sleep>(*e));
        CHECK_FALSE(c.send().has_value());
        CHECK_THROWS_AS(c.send(), CoroutineError);
    }
    CHECK(frames::counts().alive() == before);
}

TEST_CASE("a chain 100,000 awaits deep keeps the stack flat and is torn down without recursion") {
    testing::check_deep_await_chain(100000);
}
