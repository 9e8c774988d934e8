// Exercise 05_future_callbacks: what a Future does when it becomes done. A loop on the virtual clock;
// step() runs exactly one iteration of it.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <memory>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;
using conformance_test::step;

TEST_CASE("set_result schedules the callbacks; it does not call them" *
          doctest::description("each callback goes to loop_->call_soon(...): nothing runs inside set_result(), "
                               "and after it the loop has one ready callback per registration")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    fut.add_done_callback([&](const Future<int>&) { log.push_back("first"); });
    fut.add_done_callback([&](const Future<int>&) { log.push_back("second"); });
    fut.set_result(7);
    CHECK(log.empty());
    CHECK(f.loop.ready_count() == 2);
}

TEST_CASE("the callbacks run in the next iteration, in registration order, with the future" *
          doctest::description("loop over callbacks_ front to back; the scheduled lambda calls c.fn with the "
                               "future itself (*this, or *self if you captured shared_from_this())")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    fut.add_done_callback([&](const Future<int>& d) { log.push_back("first " + std::to_string(d.result())); });
    fut.add_done_callback([&](const Future<int>& d) { log.push_back("second " + std::to_string(d.result())); });
    fut.set_result(7);
    step(f.loop);
    CHECK(log == std::vector<std::string>{"first 7", "second 7"});
}

TEST_CASE("each callback runs once, however often callbacks are scheduled later" *
          doctest::description("after scheduling them, the future must forget its callbacks (std::exchange(callbacks_, "
                               "{}) takes them all and leaves the vector empty)")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    int first = 0, late = 0;
    fut.add_done_callback([&](const Future<int>&) { ++first; });
    fut.set_result(1);
    step(f.loop);
    fut.add_done_callback([&](const Future<int>&) { ++late; });   // done already: scheduled at once
    step(f.loop);
    fut.add_done_callback([&](const Future<int>&) { ++late; });
    step(f.loop);
    CHECK(first == 1);
    CHECK(late == 2);
}

TEST_CASE("a callback added to a done future also goes through call_soon" *
          doctest::description("add_callback() calls schedule_callbacks() when the future is done already: the "
                               "same path, so the same rule, never a direct call")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    fut.set_result(1);
    bool ran = false;
    fut.add_done_callback([&](const Future<int>&) { ran = true; });
    CHECK_FALSE(ran);
    step(f.loop);
    CHECK(ran);
}

TEST_CASE("the future lives until its callbacks have run, even if nobody else holds it" *
          doctest::description("capture shared_from_this() in the lambda you give call_soon: a raw `this` would "
                               "dangle once the last Future handle is gone")) {
    LoopFixture f;
    std::weak_ptr<void> state;
    bool alive_when_run = false;
    {
        Future<std::string> fut(f.loop);
        state = fut.state();
        // The callback looks only at the weak pointer, never at its (possibly dangling) argument.
        fut.add_done_callback([&](const Future<std::string>&) { alive_when_run = !state.expired(); });
        fut.set_result("done");
    }   // the last handle is gone; the scheduled callback must keep the state alive
    CHECK_FALSE(state.expired());
    step(f.loop);
    CHECK(alive_when_run);
    CHECK(state.expired());   // and once it has run, nothing holds the state any more
}

TEST_CASE("cancelling a future schedules its callbacks too" *
          doctest::description("finish() calls schedule_callbacks() for every way of becoming done: a result, an "
                               "exception, a cancel")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    bool saw_cancelled = false;
    fut.add_done_callback([&](const Future<int>& d) { saw_cancelled = d.cancelled(); });
    CHECK(fut.cancel());
    step(f.loop);
    CHECK(saw_cancelled);
}

TEST_CASE("a task awaiting the future wakes up through the same callbacks" *
          doctest::description("a task's wake-up is a done-callback like any other: if the checks above pass, "
                               "this one should too")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    Task<int> t = f.loop.create_task([](Future<int> x) -> Coroutine<int> { co_return co_await x + 1; }(fut));
    step(f.loop);
    fut.set_result(41);
    step(f.loop);
    REQUIRE(t.done());
    CHECK(t.result() == 42);
}

TEST_CASE("a future completed after its loop closed schedules nothing, and does not throw" *
          doctest::description("call_soon on a closed loop throws; check loop_->is_closed() first and return")) {
    VirtualClock clock;
    EventLoop loop(clock);
    Future<int> fut(loop);
    bool ran = false;
    fut.add_done_callback([&](const Future<int>&) { ran = true; });
    loop.close();
    CHECK_NOTHROW(fut.set_result(3));
    CHECK_FALSE(ran);
}
