// Exercise 05_task_wakeup: how a Task that awaits a Future is woken. A loop on the virtual clock;
// step() runs exactly one iteration of it.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;
using conformance_test::catch_cancel;   // logs "caught: MESSAGE" and lets the CancelledError go on
using conformance_test::step;

namespace {
Coroutine<int> waiter(Future<int> fut, std::vector<std::string>* log) {
    log->push_back("waiting");
    const int v = co_await fut;
    log->push_back("woke with " + std::to_string(v));
    co_return v;
}

Coroutine<int> inner(Future<int> fut, std::vector<std::string>* log) {
    const int v = co_await fut;
    log->push_back("inner got " + std::to_string(v));
    co_return v * 2;
}

Coroutine<int> outer(Future<int> fut, std::vector<std::string>* log) {
    const int v = co_await inner(fut, log);
    log->push_back("outer got " + std::to_string(v));
    co_return v + 1;
}

Coroutine<void> log_when_done(Future<int> fut, std::vector<std::string>* log) {
    co_await fut;
    log->push_back("task");
}

Coroutine<int> cancel_self_then_await(Future<int> fut) {
    current_task().cancel("from inside");   // the task is running: it can only be marked...
    co_await fut;                           // ...and the mark goes to the future it now waits for
    co_return 0;
}
} // namespace

TEST_CASE("a task waiting for a future resumes one iteration after the future completes" *
          doctest::description("register the wake-up with fut.add_callback(fn, step_name()); fn runs the task's "
                               "step(), which resumes resume_point_: set it to `waiting`")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(waiter(fut, &log));
    step(f.loop);
    CHECK(log == std::vector<std::string>{"waiting"});
    fut.set_result(5);
    CHECK(log.size() == 1);          // the wake-up is scheduled, not run
    step(f.loop);
    CHECK(log == std::vector<std::string>{"waiting", "woke with 5"});
    REQUIRE(t.done());
    CHECK(t.result() == 5);
}

TEST_CASE("the innermost frame resumes, and returns to the outer one" *
          doctest::description("`waiting` is the frame that executed co_await, which may be a coroutine the task "
                               "awaits, not the task's own: resume exactly that one")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(outer(fut, &log));
    step(f.loop);
    fut.set_result(10);
    step(f.loop);
    CHECK(log == std::vector<std::string>{"inner got 10", "outer got 20"});
    REQUIRE(t.done());
    CHECK(t.result() == 21);
}

TEST_CASE("the wake-up is one done-callback among the future's others, in registration order" *
          doctest::description("use the future's own add_callback: no special queue, no direct call")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    fut.add_done_callback([&](const Future<int>&) { log.push_back("before"); });
    Task<void> t = f.loop.create_task(log_when_done(fut, &log));
    step(f.loop);
    fut.add_done_callback([&](const Future<int>&) { log.push_back("after"); });
    fut.set_result(1);
    CHECK(f.loop.ready_count() == 3);
    step(f.loop);
    CHECK(log == std::vector<std::string>{"before", "task", "after"});
    CHECK(t.done());
}

TEST_CASE("a task nobody holds still wakes up" *
          doctest::description("the wake-up callback must own the task: capture self() (a shared_ptr), not `this`")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    f.loop.create_task(waiter(fut, &log));   // the Task handle is dropped at once
    step(f.loop);
    fut.set_result(3);
    step(f.loop);
    CHECK(log == std::vector<std::string>{"waiting", "woke with 3"});
}

TEST_CASE("cancel() on a task waiting for a future cancels that future" *
          doctest::description("request_cancel() cancels fut_waiter_: set it to fut.shared_from_this() when the "
                               "task suspends, and reset it in the wake-up")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(catch_cancel(fut, &log));
    step(f.loop);
    CHECK(t.cancel("stop it"));
    CHECK(fut.cancelled());
    step(f.loop);
    CHECK(log == std::vector<std::string>{"caught: stop it"});
    CHECK(t.cancelled());
}

TEST_CASE("a cancel() that came while the task ran goes to the future it then awaits" *
          doctest::description("last thing in suspend_on: if must_cancel_, cancel fut_waiter_ with "
                               "cancel_message_, and clear must_cancel_ if that worked")) {
    LoopFixture f;
    Future<int> fut(f.loop);
    Task<int> t = f.loop.create_task(cancel_self_then_await(fut));
    step(f.loop);
    CHECK(fut.cancelled());
    step(f.loop);
    CHECK(t.cancelled());
}
