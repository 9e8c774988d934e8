// Exercise 06_gather: what the gather does as each child finishes. A loop on the virtual clock, so
// "concurrently" shows as times: three children of 0.1, 0.2 and 0.3 s end at 0.3 s, not 0.6 s.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;
using conformance_test::fail_after;
using conformance_test::value_after;

namespace {
Coroutine<std::tuple<int, int, int>> gather_three() {
    co_return co_await gather(value_after(0.3, 1), value_after(0.1, 2), value_after(0.2, 3));
}

Coroutine<void> gather_fails(std::vector<Task<int>>* children) {
    children->push_back(create_task(fail_after(0.1, "first")));
    children->push_back(create_task(value_after(0.5, 2)));
    children->push_back(create_task(fail_after(0.3, "second")));
    co_await gather(*children);
}

Coroutine<int> cancelled_soon() {
    current_task().cancel();
    co_await sleep(0);
    co_return 0;
}

Coroutine<std::tuple<Outcome<int>, Outcome<int>, Outcome<int>>> gather_all() {
    co_return co_await gather(return_exceptions, value_after(0.2, 1), fail_after(0.1, "bad"), cancelled_soon());
}

Coroutine<void> gather_and_wait(std::vector<Task<int>>* children, Future<std::vector<int>>* g) {
    children->push_back(create_task(value_after(1, 1)));
    children->push_back(create_task(value_after(2, 2)));
    *g = gather(*children);
    co_await *g;
}
} // namespace

TEST_CASE("gather returns every result, in argument order, once the last child is done" *
          doctest::description("count each finished child in finished_; when finished_ reaches children_.size(), "
                               "end_with_results() (collect_ puts the values in argument order for you)")) {
    LoopFixture f;
    CHECK(f.loop.run_until_complete(gather_three()) == std::make_tuple(1, 2, 3));
    CHECK(f.loop.time() == seconds(0.3));
}

TEST_CASE("a gather of futures that are already done is done at once" *
          doctest::description("start() calls child_done() for the children done already, before gather() "
                               "returns: the same rules apply, with no loop iteration")) {
    LoopFixture f;
    Future<int> one(f.loop), two(f.loop);
    one.set_result(1);
    two.set_result(2);
    Future<std::vector<int>> both = gather(std::vector<Future<int>>{one, two});
    CHECK(both.done());
    CHECK(both.result() == std::vector<int>{1, 2});
}

TEST_CASE("the first exception fails the gather at once; the other children keep running" *
          doctest::description("without return_exceptions_, a child with has_exception() ends the gather with "
                               "end_with_exception(child.exception()); do not cancel the others")) {
    LoopFixture f;
    std::vector<Task<int>> children;
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(gather_fails(&children)), "first", std::runtime_error);
    CHECK(f.loop.time() == seconds(0.1));
    REQUIRE(children.size() == 3);
    CHECK_FALSE(children[1].cancelled());
    f.loop.run_until_complete(Future<int>(children[1]));
    CHECK(children[1].result() == 2);
}

TEST_CASE("a later child's exception, after the gather failed, is not reported as never retrieved" *
          doctest::description("when the gather is done already, child.mark_retrieved() (unless the child was "
                               "cancelled): the gather has looked at it, so nobody is told it was lost")) {
    LoopFixture f;
    std::vector<Task<int>> children;
    CHECK_THROWS_AS(f.loop.run_until_complete(gather_fails(&children)), std::runtime_error);
    f.loop.run_until_complete(sleep(1));   // the second failure comes at 0.3 s
    REQUIRE(children.size() == 3);
    CHECK(children[2].done());
    children.clear();                      // the last handles go: an unretrieved exception would be reported now
    CHECK(f.reported("Task exception was never retrieved") == 0);
}

TEST_CASE("a cancelled child fails the gather with CancelledError" *
          doctest::description("without return_exceptions_, child.cancelled() ends the gather with "
                               "std::make_exception_ptr(CancelledError(child.cancel_message()))")) {
    LoopFixture f;
    auto body = []() -> Coroutine<void> { co_await gather(value_after(1, 1), cancelled_soon()); };
    CHECK_THROWS_AS(f.loop.run_until_complete(body()), CancelledError);
}

TEST_CASE("with return_exceptions, failures and cancellations take their places among the results" *
          doctest::description("with return_exceptions_ a failed or cancelled child is just one more finished "
                               "child: only the count decides when the gather ends")) {
    LoopFixture f;
    auto [a, b, c] = f.loop.run_until_complete(gather_all());
    CHECK(a.ok());
    CHECK(a.value() == 1);
    CHECK_FALSE(b.ok());
    CHECK(describe(b.error()) == "bad");
    CHECK_FALSE(c.ok());
    CHECK(is_cancellation(c.error()));
    CHECK(f.loop.time() == seconds(0.2));
}

TEST_CASE("a cancelled gather ends, once its children have, with a CancelledError" *
          doctest::description("when the last child is done and cancel_requested_ is set, end with "
                               "CancelledError(cancel_message_) instead of the results")) {
    LoopFixture f;
    std::vector<Task<int>> children;
    Future<std::vector<int>> g(f.loop);
    Task<void> outer = f.loop.create_task(gather_and_wait(&children, &g));
    conformance_test::step(f.loop);
    conformance_test::step(f.loop);
    CHECK(g.cancel());
    f.loop.call_later(seconds(0.1), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(children[0].cancelled());
    CHECK(children[1].cancelled());
    CHECK(g.done());
    CHECK_THROWS_AS(g.result(), CancelledError);
    CHECK(outer.cancelled());
}
