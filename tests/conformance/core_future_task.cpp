// Future and Task: C15-C28, C30-C33 and C55, frames and the flat stack. Compiled against stage 05 and every later stage.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::FrameCheck;
using conformance_test::LoopFixture;
using conformance_test::catch_cancel;
using conformance_test::stubborn;

TEST_CASE("C15 a new future is pending - result() then is an error - setting twice is an error") {
    LoopFixture f;
    Future<int> fut(f.loop);
    CHECK_FALSE(fut.done());
    CHECK_FALSE(fut.cancelled());
    CHECK_THROWS_AS(fut.result(), InvalidStateError);
    CHECK_THROWS_AS((void)fut.exception(), InvalidStateError);
    fut.set_result(1);
    CHECK(fut.result() == 1);
    CHECK(fut.exception() == nullptr);
    CHECK_THROWS_AS(fut.set_result(2), InvalidStateError);
    CHECK_THROWS_AS(fut.set_exception(std::runtime_error("late")), InvalidStateError);
    CHECK_FALSE(fut.cancel());
    CHECK(fut.result() == 1);
    Future<void> v(f.loop);
    v.set_result();
    CHECK_THROWS_AS(v.set_result(), InvalidStateError);
}

TEST_CASE("C16 cancel() on a pending future cancels it at once - result() raises CancelledError") {
    LoopFixture f;
    Future<int> fut(f.loop);
    CHECK(fut.cancel("no longer needed"));
    CHECK(fut.cancelled());
    CHECK(fut.done());
    CHECK_FALSE(fut.cancel());
    try {
        (void)fut.result();
        FAIL("result() of a cancelled future must throw");
    } catch (const CancelledError& e) {
        CHECK(e.message() == "no longer needed");
    }
    CHECK_THROWS_AS((void)fut.exception(), CancelledError);
}

TEST_CASE("C17 completing a future schedules its callbacks with call_soon, in registration order") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    fut.add_done_callback([&](const Future<int>& d) { log.push_back("first " + std::to_string(d.result())); });
    fut.add_done_callback([&](const Future<int>&) { log.push_back("second"); });
    fut.set_result(7);
    CHECK(log.empty());   // not synchronous
    CHECK(f.loop.ready_count() == 2);
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"first 7", "second"});
}

TEST_CASE("C18 add_done_callback on a done future also goes through call_soon") {
    LoopFixture f;
    Future<int> fut(f.loop);
    fut.set_result(1);
    bool ran = false;
    fut.add_done_callback([&](const Future<int>&) { ran = true; });
    CHECK_FALSE(ran);
    conformance_test::step(f.loop);
    CHECK(ran);
}

namespace {
int calls_a = 0;
int calls_b = 0;
void on_done_a(const Future<int>&) { ++calls_a; }
void on_done_b(const Future<int>&) { ++calls_b; }
} // namespace

TEST_CASE("C19 remove_done_callback removes every matching callback and returns how many") {
    LoopFixture f;
    calls_a = calls_b = 0;
    Future<int> fut(f.loop);
    fut.add_done_callback(on_done_a);
    fut.add_done_callback(on_done_b);
    fut.add_done_callback(on_done_a);
    const CallbackId lambda_id = fut.add_done_callback([](const Future<int>&) { FAIL("removed"); });
    CHECK(fut.remove_done_callback(on_done_a) == 2);
    CHECK(fut.remove_done_callback(on_done_a) == 0);
    CHECK(fut.remove_done_callback(lambda_id) == 1);
    CHECK(fut.remove_done_callback(lambda_id) == 0);
    fut.set_result(0);
    conformance_test::step(f.loop);
    CHECK(calls_a == 0);
    CHECK(calls_b == 1);
}

namespace {
Coroutine<int> await_twice(Future<int> done_one, Future<int> pending, std::vector<std::string>* log) {
    log->push_back("before done");
    const int a = co_await done_one;   // no suspension
    log->push_back("after done");
    const int b = co_await pending;    // suspends exactly once
    log->push_back("after pending");
    co_return a + b;
}
} // namespace

TEST_CASE("C20 awaiting a done future does not suspend - a pending one suspends exactly once") {
    LoopFixture f;
    Future<int> done_one(f.loop);
    done_one.set_result(1);
    Future<int> pending(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(await_twice(done_one, pending, &log));
    conformance_test::step(f.loop);   // first step runs to the pending await
    CHECK(log == std::vector<std::string>{"before done", "after done"});
    conformance_test::step(f.loop);   // nothing happens while pending
    CHECK(log.size() == 2);
    pending.set_result(2);
    CHECK(f.loop.run_until_complete(Future<int>(t)) == 3);
    CHECK(log.back() == "after pending");
}

TEST_CASE("C21 an unretrieved exception is reported when its future dies - not results, not cancelled") {
    LoopFixture f;
    {
        Future<int> fut(f.loop, "lost");
        fut.set_exception(std::runtime_error("nobody looked"));
    }
    REQUIRE(f.reported("Future exception was never retrieved") == 1);
    CHECK(f.reports[0].source == "lost");
    CHECK(describe(f.reports[0].exception) == "nobody looked");
    {
        Future<int> seen(f.loop);
        seen.set_exception(std::runtime_error("looked at"));
        CHECK(seen.exception() != nullptr);
        Future<int> value(f.loop);
        value.set_result(1);   // never read: fine
        Future<int> cancelled(f.loop);
        cancelled.cancel();
    }
    conformance_test::step(f.loop);
    CHECK(f.reports.size() == 1);
}

namespace {
Coroutine<void> note(std::vector<std::string>* log, std::string what) {
    log->push_back(what);
    co_return;
}
} // namespace

TEST_CASE("C22 creating a task schedules its first step - the body waits for the loop") {
    LoopFixture f;
    std::vector<std::string> log;
    f.loop.call_soon([&] { log.push_back("earlier callback"); });
    Task<void> t = f.loop.create_task(note(&log, "task body"));
    CHECK(log.empty());
    CHECK(f.loop.ready_count() == 2);
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"earlier callback", "task body"});
    CHECK(t.done());
}

TEST_CASE("C23 a task cancelled before its first step runs none of its body") {
    LoopFixture f;
    FrameCheck frames;
    std::vector<std::string> log;
    Task<void> t = f.loop.create_task(note(&log, "body"));
    CHECK(t.cancel());
    conformance_test::step(f.loop);
    CHECK(log.empty());
    CHECK(t.cancelled());
    CHECK(frames.alive() == 0);   // its frame was destroyed, never run
}

namespace {
Coroutine<void> yielder(std::vector<std::string>* log) {
    log->push_back("task before sleep(0)");
    co_await sleep(0);
    log->push_back("task after sleep(0)");
}
} // namespace

TEST_CASE("C24 sleep(0) is a bare yield: the next step queues behind the ready callbacks") {
    LoopFixture f;
    std::vector<std::string> log;
    Task<void> t = f.loop.create_task(yielder(&log));
    f.loop.call_soon([&] {
        log.push_back("callback 1");
        f.loop.call_soon([&] { log.push_back("callback 2"); });
    });
    conformance_test::step(f.loop);   // task step 1 (yields: step 2 queued), callback 1 (queues callback 2)
    CHECK(log == std::vector<std::string>{"task before sleep(0)", "callback 1"});
    CHECK(f.loop.scheduled_timers() == 0);   // no timer involved
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"task before sleep(0)", "callback 1", "task after sleep(0)", "callback 2"});
    CHECK(t.done());
}

namespace {
Coroutine<int> waiter(Future<int> fut, std::vector<std::string>* log) {
    const int v = co_await fut;
    log->push_back("woke with " + std::to_string(v));
    co_return v;
}
} // namespace

TEST_CASE("C25 a task waiting for a future resumes one iteration after the future completes") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(waiter(fut, &log));
    conformance_test::step(f.loop);
    fut.set_result(5);
    CHECK(log.empty());
    conformance_test::step(f.loop);   // the wake-up callback runs the step
    CHECK(log == std::vector<std::string>{"woke with 5"});
    CHECK(t.result() == 5);
}

TEST_CASE("C26 cancel() on a task waiting for a future cancels that future - the coroutine sees it later") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(catch_cancel(fut, &log));
    conformance_test::step(f.loop);
    CHECK(t.cancel("stop it"));
    CHECK(fut.cancelled());   // at once
    CHECK(log.empty());       // the coroutine hears of it on a later iteration
    CHECK_FALSE(t.done());
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"caught: stop it"});
    CHECK(t.cancelled());
}

TEST_CASE("C55 two cancel() requests with different messages on a task waiting for a future: the first message is delivered") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(catch_cancel(fut, &log));
    conformance_test::step(f.loop);
    CHECK(t.cancel("m1"));   // cancels the future, with m1
    CHECK(t.cancel("m2"));   // the future is done already: the task is only marked
    CHECK(fut.cancelled());
    conformance_test::step(f.loop);
    // asyncio's Task.__step keeps the CancelledError the future raises (m1) and clears the mark.
    CHECK(log == std::vector<std::string>{"caught: m1"});
    CHECK(t.cancelled());
    CHECK(f.loop.ready_count() == 0);   // the mark was cleared: no second CancelledError is on its way
}

namespace {
Coroutine<int> busy_then_return(Future<int> fut, std::vector<std::string>* log) {
    log->push_back("waiting");
    co_await fut;   // done while we were marked: the cancellation arrives here
    log->push_back("not reached");
    co_return 1;
}
Coroutine<int> cancels_itself_then_returns() {
    co_await sleep(0);
    current_task().cancel();   // marked while running (nothing awaited)...
    co_return 7;               // ...and returns normally: the task still ends cancelled
}
} // namespace

TEST_CASE("C27 a task that is not waiting is marked - its next step throws the cancellation in") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> t = f.loop.create_task(busy_then_return(fut, &log));
    conformance_test::step(f.loop);
    fut.set_result(1);   // the wake-up is queued: the task is no longer waiting for the future...
    CHECK(t.cancel());   // ...so cancel() can only mark it
    CHECK_FALSE(fut.cancelled());
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"waiting"});
    CHECK(t.cancelled());

    // Returning normally while still marked: the task ends cancelled.
    Task<int> t2 = f.loop.create_task(cancels_itself_then_returns());
    conformance_test::step(f.loop);
    conformance_test::step(f.loop);
    CHECK(t2.done());
    CHECK(t2.cancelled());
}

TEST_CASE("C28 cancellation is a request: a task that catches it ends normally - cancel() on a done task is false") {
    LoopFixture f;
    Future<int> fut(f.loop);
    Task<std::string> t = f.loop.create_task(stubborn(fut));
    conformance_test::step(f.loop);
    CHECK(t.cancel());
    CHECK(f.loop.run_until_complete(Future<std::string>(t)) == "refused to die");
    CHECK_FALSE(t.cancelled());
    CHECK_FALSE(t.cancel());
}

namespace {
Coroutine<int> deepest(Future<int> fut, std::vector<std::string>* log) {
    try {
        co_return co_await fut;
    } catch (const CancelledError&) {
        log->push_back("deepest");
        throw;
    }
}
Coroutine<int> middle(Future<int> fut, std::vector<std::string>* log) {
    try {
        co_return co_await deepest(fut, log);
    } catch (const CancelledError&) {
        log->push_back("middle");
        throw;
    }
}
Coroutine<int> awaits_task(Task<int> inner, std::vector<std::string>* log) {
    try {
        co_return co_await inner;
    } catch (const CancelledError&) {
        log->push_back("outer task");
        throw;
    }
}
} // namespace

TEST_CASE("C30 cancellation propagates through nested coroutines and into an awaited task") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    Task<int> inner = f.loop.create_task(middle(fut, &log), "inner");
    Task<int> outer = f.loop.create_task(awaits_task(inner, &log), "outer");
    conformance_test::step(f.loop);
    CHECK(outer.cancel());
    CHECK(fut.cancelled());   // at once: the request went through the task it awaits, into that task's future
    f.loop.call_later(seconds(1), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(log == std::vector<std::string>{"deepest", "middle", "outer task"});
    CHECK(fut.cancelled());
    CHECK(inner.cancelled());
    CHECK(outer.cancelled());
}

namespace {
// The coroutine needs its own task, which exists only after create_task(): it reads it from a slot.
Coroutine<int> await_self(std::optional<Task<int>>* slot) {
    co_await sleep(0);
    co_return co_await **slot;
}
} // namespace

TEST_CASE("C31 a task awaiting itself is an error") {
    LoopFixture f;
    std::optional<Task<int>> me;
    me.emplace(f.loop.create_task(await_self(&me)));
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(Future<int>(*me)), doctest::Contains("cannot await on itself"),
                         RuntimeError);
}

namespace {
Coroutine<void> report_current(std::vector<std::string>* log) {
    log->push_back("in step: " + current_task().name());
    co_await sleep(0);
    log->push_back("in step: " + current_task().name());
}
} // namespace

TEST_CASE("C32 current_task() is the running task only while one of its steps runs") {
    LoopFixture f;
    std::vector<std::string> log;
    CHECK_FALSE(current_task());
    Task<void> t = f.loop.create_task(report_current(&log), "worker");
    f.loop.call_soon([&] { log.push_back(current_task() ? "callback sees a task" : "callback sees none"); });
    f.loop.run_until_complete(Future<void>(t));
    CHECK(log == std::vector<std::string>{"in step: worker", "callback sees none", "in step: worker"});
    CHECK_FALSE(current_task());
}

namespace {
Coroutine<int> fails() {
    co_await sleep(0);
    throw std::runtime_error("task failed");
}
Coroutine<int> waits_forever(Future<int> fut) { co_return co_await fut; }
} // namespace

TEST_CASE("C33 pending tasks destroyed with the loop, and unretrieved task exceptions, are reported") {
    FrameCheck frames;
    {
        LoopFixture f;
        Future<int> never(f.loop, "never");
        f.loop.create_task(waits_forever(never), "stuck");   // the handle is dropped: the loop keeps it
        f.loop.create_task(fails(), "failing");
        f.loop.call_later(seconds(1), [&] { f.loop.stop(); });
        f.loop.run_forever();
        CHECK(f.reported("Task exception was never retrieved") == 1);
        CHECK(f.reports[0].source == "failing");
        f.loop.close();
        CHECK(f.reported("Task was destroyed but it is pending!") == 1);
        CHECK(f.reports.back().source == "stuck");
    }
    CHECK(frames.alive() == 0);
}

TEST_CASE("task: an exception travels to whoever awaits the task, and then counts as retrieved") {
    LoopFixture f;
    Task<int> t = f.loop.create_task(fails());
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(Future<int>(t)), "task failed", std::runtime_error);
    CHECK(f.reports.empty());
}

TEST_CASE("task: awaiting a pending future outside a task is an error") {
    LoopFixture f;
    Future<int> fut(f.loop);
    auto lone = [](Future<int> x) -> Coroutine<int> { co_return co_await x; };
    Coroutine<int> c = lone(fut);
    // Driving the coroutine by hand (no task): its await has nobody to wake it.
    c.handle().resume();
    CHECK(c.handle().done());
    CHECK_THROWS_AS(std::rethrow_exception(c.handle().promise().error), RuntimeError);
}

namespace {
Coroutine<long> ready(long i) { co_return i; }
Coroutine<long> million(std::uintptr_t* lo, std::uintptr_t* hi) {
    long sum = 0;
    for (long i = 0; i < 1000000; ++i) {
        sum += co_await ready(i);
        int marker = 0;
        const auto here = reinterpret_cast<std::uintptr_t>(&marker);
        if (here < *lo) *lo = here;
        if (here > *hi) *hi = here;
    }
    co_return sum;
}
} // namespace

TEST_CASE("coroutine: a million synchronous co_awaits of a ready coroutine do not grow the stack") {
    LoopFixture f;
    FrameCheck frames;
    std::uintptr_t lo = UINTPTR_MAX, hi = 0;
    const long sum = f.loop.run_until_complete(million(&lo, &hi));
    CHECK(sum == 999999L * 1000000L / 2);
    CHECK(hi - lo < 4096);   // the same few stack bytes every time
    CHECK(frames.alive() == 0);
}

namespace {
Coroutine<int> leaf_value(int v) { co_return v; }
Coroutine<int> chain(int depth) {
    if (depth == 0) co_return co_await leaf_value(1);
    co_return 1 + co_await chain(depth - 1);
}
} // namespace

TEST_CASE("coroutine: awaiting runs the child inline, frames are freed once, reuse is an error") {
    LoopFixture f;
    FrameCheck frames;
    CHECK(f.loop.run_until_complete(chain(1000)) == 1001);
    CHECK(frames.alive() == 0);
    auto twice = []() -> Coroutine<int> {
        Coroutine<int> c = leaf_value(3);
        const int a = co_await c;
        co_return a + co_await c;
    };
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(twice()), doctest::Contains("already awaited"), RuntimeError);
    CHECK(frames.alive() == 0);
}

TEST_CASE("task: names, all_tasks(), and a destroyed unstarted coroutine frees its frame") {
    LoopFixture f;
    FrameCheck frames;
    {
        Coroutine<int> never_started = leaf_value(1);
        CHECK(frames.alive() == 1);
    }
    CHECK(frames.alive() == 0);
    Task<int> a = f.loop.create_task(leaf_value(1));
    Task<int> b = f.loop.create_task(leaf_value(2), "named");
    CHECK(a.name().rfind("Task-", 0) == 0);
    CHECK(b.name() == "named");
    CHECK(f.loop.all_tasks().size() == 2);
    conformance_test::step(f.loop);
    CHECK(f.loop.all_tasks().empty());
    CHECK(a.result() + b.result() == 3);
}

// Orders a program can observe: registration order survives removals, a task's wake-up is one
// done-callback among the others, and all_tasks() keeps creation order.

TEST_CASE("future: removing the first done-callback keeps the registration order of the others") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    const CallbackId a = fut.add_done_callback([&](const Future<int>&) { log.push_back("a"); });
    fut.add_done_callback([&](const Future<int>&) { log.push_back("b"); });
    CHECK(fut.remove_done_callback(a) == 1);
    fut.add_done_callback([&](const Future<int>&) { log.push_back("c"); });
    fut.set_result(1);
    CHECK(f.loop.ready_count() == 2);
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"b", "c"});   // C17: registration order, not storage order
}

namespace {
Coroutine<void> log_when_done(Future<int> fut, std::vector<std::string>* log) {
    co_await fut;
    log->push_back("task");
}
Coroutine<void> wait_on(Future<int> fut) { co_await fut; }
} // namespace

TEST_CASE("task: a task's wake-up is scheduled in registration order among the future's done-callbacks") {
    LoopFixture f;
    Future<int> fut(f.loop);
    std::vector<std::string> log;
    fut.add_done_callback([&](const Future<int>&) { log.push_back("before"); });
    Task<void> t = f.loop.create_task(log_when_done(fut, &log));
    conformance_test::step(f.loop);   // the task starts and waits for fut
    fut.add_done_callback([&](const Future<int>&) { log.push_back("after"); });
    fut.set_result(1);
    CHECK(f.loop.ready_count() == 3);   // a done-callback, the task's step, a done-callback
    conformance_test::step(f.loop);
    CHECK(t.done());
    CHECK(log == std::vector<std::string>{"before", "task", "after"});
}

TEST_CASE("task: all_tasks() keeps creation order when a task in the middle ends") {
    LoopFixture f;
    Future<int> first(f.loop);
    Future<int> middle(f.loop);
    Future<int> last(f.loop);
    Task<void> a = f.loop.create_task(wait_on(first), "a");
    Task<void> b = f.loop.create_task(wait_on(middle), "b");
    Task<void> c = f.loop.create_task(wait_on(last), "c");
    const auto names = [&] {
        std::vector<std::string> n;
        for (const AnyTask& t : f.loop.all_tasks()) n.push_back(t.name());
        return n;
    };
    conformance_test::step(f.loop);
    CHECK(names() == std::vector<std::string>{"a", "b", "c"});
    middle.set_result(0);
    conformance_test::step(f.loop);
    CHECK(b.done());
    CHECK(names() == std::vector<std::string>{"a", "c"});
    Task<void> d = f.loop.create_task(wait_on(last), "d");
    CHECK(names() == std::vector<std::string>{"a", "c", "d"});
    first.set_result(0);
    last.set_result(0);
    conformance_test::step(f.loop);   // a and c wake and end; d's first step finds last done and ends too
    CHECK(f.loop.all_tasks().empty());
}
