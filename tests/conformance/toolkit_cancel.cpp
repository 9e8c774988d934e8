// Cancellation in depth: a task counts the cancel() requests it has not taken back (C29, and C55's
// count), which is what timeout() needs to tell its own cancellation from someone else's.
// Compiled against stage 06 and every later stage.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;
using conformance_test::catch_cancel;
using conformance_test::stubborn;

TEST_CASE("C29 cancelling() counts the requests - uncancel() decrements, never below zero") {
    LoopFixture f;
    Future<int> fut(f.loop);
    Task<std::string> t = f.loop.create_task(stubborn(fut));
    CHECK(t.cancelling() == 0);
    CHECK(t.uncancel() == 0);
    t.cancel();
    t.cancel();
    CHECK(t.cancelling() == 2);
    CHECK(t.uncancel() == 1);
    CHECK(t.uncancel() == 0);
    CHECK(t.uncancel() == 0);
    // No request left, before the first step: the body runs normally and waits. This is asyncio
    // 3.13, where uncancel() down to 0 also clears the pending cancellation; in 3.11 and 3.12 the
    // first step still threw CancelledError in (tests/asyncio_checks/b_uncancel_before_first_step.py).
    conformance_test::step(f.loop);
    CHECK_FALSE(t.done());
    fut.set_result(1);
    CHECK(f.loop.run_until_complete(Future<std::string>(t)) == "normal");
}

TEST_CASE("C55 the second of two cancel() requests on a task waiting for a future only raises the count") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(catch_cancel(fut, &log));
    conformance_test::step(f.loop);
    CHECK(t.cancel("m1"));
    CHECK(t.cancel("m2"));
    CHECK(t.cancelling() == 2);
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"caught: m1"});
    CHECK(t.cancelled());
    CHECK(t.cancelling() == 2);   // the count stays: nothing took a request back
}

TEST_CASE("C30 a cancellation that goes into an awaited task counts there too") {
    LoopFixture f;
    Future<int> fut(f.loop);
    Task<std::string> inner = f.loop.create_task(stubborn(fut), "inner");
    auto awaits = [](Task<std::string> t) -> Coroutine<std::string> { co_return co_await t; };
    Task<std::string> outer = f.loop.create_task(awaits(inner), "outer");
    conformance_test::step(f.loop);
    CHECK(outer.cancel());
    CHECK(outer.cancelling() == 1);
    CHECK(inner.cancelling() == 1);   // the request went into the task it awaits
}
