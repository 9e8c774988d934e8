// The toolkit: gather, wait_for, shield, Queue, Lock, Event, Semaphore. C35-C45, C53, C54, C56 and the error paths.
// Compiled against stage 06 and every later stage.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::FrameCheck;
using conformance_test::LoopFixture;
using conformance_test::fail_after;
using conformance_test::sleeper;
using conformance_test::value_after;


namespace {
Coroutine<std::tuple<int, int, int>> gather_three() {
    co_return co_await gather(value_after(0.3, 1), value_after(0.1, 2), value_after(0.2, 3));
}
Coroutine<std::vector<int>> gather_range(int n) {
    std::vector<Coroutine<int>> cs;
    for (int i = 0; i < n; ++i) cs.push_back(value_after(0.1 * (n - i), i));
    co_return co_await gather(std::move(cs));
}
} // namespace

TEST_CASE("C35 gather returns results in argument order - an empty gather returns at once") {
    LoopFixture f;
    CHECK(f.loop.run_until_complete(gather_three()) == std::make_tuple(1, 2, 3));
    CHECK(f.loop.time() == seconds(0.3));   // concurrently: the longest, not the sum
    CHECK(f.loop.run_until_complete(gather_range(4)) == std::vector<int>{0, 1, 2, 3});
    CHECK(f.loop.run_until_complete(gather_range(0)).empty());
}

TEST_CASE("gather of futures already done is done when gather() returns (asyncio 3.12 and 3.13; 3.11 took an iteration)") {
    LoopFixture f;
    Future<int> one(f.loop), two(f.loop), failed(f.loop), pending(f.loop);
    one.set_result(1);
    two.set_result(2);
    failed.set_exception(std::runtime_error("early"));
    Future<std::vector<int>> both = gather(std::vector<Future<int>>{one, two});
    CHECK(both.done());
    CHECK(both.result() == std::vector<int>{1, 2});
    Future<std::tuple<int, int>> fails = gather(one, failed);
    CHECK(fails.done());
    CHECK_THROWS_WITH_AS((void)fails.result(), "early", std::runtime_error);
    // A child still pending: the gather waits for it as before, through its done-callback.
    Future<std::tuple<int, int>> mixed = gather(one, pending);
    CHECK_FALSE(mixed.done());
    pending.set_result(3);
    conformance_test::step(f.loop);
    CHECK(mixed.result() == std::make_tuple(1, 3));
    CHECK(f.loop.iterations() == 1);
    CHECK(f.reports.empty());
}

namespace {
Coroutine<void> gather_fails(std::vector<Task<int>>* children) {
    children->push_back(create_task(fail_after(0.1, "first")));
    children->push_back(create_task(value_after(0.5, 2)));
    children->push_back(create_task(fail_after(0.3, "second")));
    co_await gather(*children);
}
} // namespace

TEST_CASE("C36 without return_exceptions the first exception fails gather - the others keep running") {
    LoopFixture f;
    std::vector<Task<int>> children;
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(gather_fails(&children)), "first", std::runtime_error);
    CHECK(f.loop.time() == seconds(0.1));
    REQUIRE(children.size() == 3);
    CHECK_FALSE(children[1].done());
    CHECK_FALSE(children[1].cancelled());
    f.loop.run_until_complete(Future<int>(children[1]));
    CHECK(children[1].result() == 2);
    CHECK(children[2].done());
    CHECK(f.reports.empty());   // gather looked at the second exception too: no "never retrieved"
}

namespace {
Coroutine<void> drops_failed_gather(std::vector<std::string>* log) {
    try {
        co_await gather(fail_after(0.1, "first"), fail_after(0.3, "second"));
    } catch (const std::runtime_error& e) {
        log->push_back(e.what());
    }
    // The gather was a temporary: nobody holds it now, and its second child is still running.
}
} // namespace

TEST_CASE("C53 a gather failed and dropped by its caller - a later child's exception is not reported") {
    LoopFixture f;
    std::vector<std::string> log;
    f.loop.run_until_complete(drops_failed_gather(&log));
    CHECK(log == std::vector<std::string>{"first"});
    CHECK(f.loop.time() == seconds(0.1));
    CHECK(f.loop.all_tasks().size() == 1);   // the second child
    f.loop.run_until_complete(sleep(0.5));
    CHECK(f.loop.all_tasks().empty());        // it failed at 0.3 s and is gone
    CHECK(f.reported("Task exception was never retrieved") == 0);
    CHECK(f.reports.empty());
}

namespace {
Coroutine<int> cancelled_soon() {
    current_task().cancel();
    co_await sleep(0);
    co_return 0;
}
Coroutine<std::tuple<Outcome<int>, Outcome<int>, Outcome<int>>> gather_all() {
    co_return co_await gather(return_exceptions, value_after(0.2, 1), fail_after(0.1, "bad"), cancelled_soon());
}
} // namespace

TEST_CASE("C37 with return_exceptions, exceptions and cancellations are placed in the results") {
    LoopFixture f;
    auto [a, b, c] = f.loop.run_until_complete(gather_all());
    CHECK(a.ok());
    CHECK(a.value() == 1);
    CHECK_FALSE(b.ok());
    CHECK(describe(b.error()) == "bad");
    CHECK_THROWS_AS((void)b.value(), std::runtime_error);
    CHECK_FALSE(c.ok());
    CHECK(is_cancellation(c.error()));
    CHECK(f.loop.time() == seconds(0.2));
}

namespace {
Coroutine<void> gather_and_wait(std::vector<Task<int>>* children, Future<std::vector<int>>* g) {
    children->push_back(create_task(value_after(1, 1)));
    children->push_back(create_task(value_after(2, 2)));
    *g = gather(*children);
    co_await *g;
}
} // namespace

TEST_CASE("C38 cancelling a gather cancels every child that is not done") {
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
    // As in asyncio (3.11 and 3.13): the gather ends with a CancelledError *exception*, not cancelled().
    CHECK(g.done());
    CHECK_FALSE(g.cancelled());
    CHECK_THROWS_AS(g.result(), CancelledError);
    CHECK(outer.cancelled());
    CHECK(f.loop.time() == seconds(0.1));
}

namespace {
Coroutine<std::string> slow_cleanup(std::vector<std::string>* log) {
    try {
        co_await sleep(10);
    } catch (const CancelledError&) {
        log->push_back("cleaning up");
    }
    co_await sleep(0.5);   // cleanup that itself awaits
    log->push_back("cleaned");
    throw CancelledError();
}
Coroutine<std::string> suppresses(std::vector<std::string>* log) {
    try {
        co_await sleep(10);
    } catch (const CancelledError&) {
        log->push_back("suppressed");
    }
    co_return "value anyway";
}
Coroutine<std::string> call_wait_for(Coroutine<std::string> op, double timeout, std::vector<std::string>* log) {
    try {
        co_return co_await wait_for(std::move(op), timeout);
    } catch (const TimeoutError&) {
        log->push_back("TimeoutError at " + format_time(get_running_loop().time()));
        co_return "timed out";
    }
}
} // namespace

TEST_CASE("C39 wait_for cancels on timeout, waits until the operation finished, returns a suppressed value") {
    LoopFixture f;
    std::vector<std::string> log;
    CHECK(f.loop.run_until_complete(call_wait_for(slow_cleanup(&log), 1.0, &log)) == "timed out");
    CHECK(log == std::vector<std::string>{"cleaning up", "cleaned", "TimeoutError at 1.500s"});
    log.clear();
    CHECK(f.loop.run_until_complete(call_wait_for(suppresses(&log), 1.0, &log)) == "value anyway");
    CHECK(log == std::vector<std::string>{"suppressed"});
    // In time: the result, and the timer is gone.
    auto quick = []() -> Coroutine<int> { co_return co_await wait_for(value_after(0.1, 5), 1.0); };
    CHECK(f.loop.run_until_complete(quick()) == 5);
}

namespace {
Coroutine<void> outer_wait_for(Task<int>* inner_out, std::vector<std::string>* log) {
    Task<int> inner = create_task(value_after(5, 1), "inner");
    *inner_out = inner;
    try {
        co_await wait_for(inner, 10.0);
    } catch (const CancelledError&) {
        log->push_back("caller cancelled");
        throw;
    }
}
} // namespace

TEST_CASE("C40 wait_for with timeout <= 0 cancels and raises TimeoutError - cancelling the caller cancels the op") {
    LoopFixture f;
    std::vector<std::string> log;
    // Not started yet: cancelled before its first step, so none of its body runs.
    CHECK(f.loop.run_until_complete(call_wait_for(suppresses(&log), 0, &log)) == "timed out");
    CHECK(log == std::vector<std::string>{"TimeoutError at 0.000s"});
    log.clear();
    // Started, then wait_for(..., 0): cancelled at once; it suppresses and its value is returned.
    auto started = [](std::vector<std::string>* lg) -> Coroutine<std::string> {
        Task<std::string> t = create_task(suppresses(lg));
        co_await sleep(0);
        co_return co_await wait_for(t, -1.0);
    };
    CHECK(f.loop.run_until_complete(started(&log)) == "value anyway");
    CHECK(log == std::vector<std::string>{"suppressed"});
    auto done_at_once = []() -> Coroutine<int> {
        Future<int> ready(get_running_loop());
        ready.set_result(9);
        co_return co_await wait_for(ready, 0.0);
    };
    CHECK(f.loop.run_until_complete(done_at_once()) == 9);

    LoopFixture g;
    std::vector<std::string> log2;
    std::optional<Task<int>> inner;
    Task<int> dummy = g.loop.create_task(value_after(0, 0));
    Task<int>* slot = &dummy;
    Task<void> caller = g.loop.create_task(outer_wait_for(slot, &log2));
    g.loop.call_later(seconds(1), [&] { caller.cancel(); });
    g.loop.call_later(seconds(2), [&] { g.loop.stop(); });
    g.loop.run_forever();
    CHECK(log2 == std::vector<std::string>{"caller cancelled"});
    CHECK(caller.cancelled());
    CHECK(slot->name() == "inner");
    CHECK(slot->cancelled());
}

namespace {
Coroutine<int> shielded_caller(Task<int>* inner_out) {
    Task<int> inner = create_task(value_after(3, 42), "precious");
    *inner_out = inner;
    co_return co_await shield(inner);
}
} // namespace

TEST_CASE("C41 shield: cancelling the outer awaiter leaves the inner operation running") {
    LoopFixture f;
    Task<int> inner_slot = f.loop.create_task(value_after(0, 0));
    Task<int> caller = f.loop.create_task(shielded_caller(&inner_slot));
    f.loop.call_later(seconds(1), [&] { caller.cancel(); });
    f.loop.call_later(seconds(5), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(caller.cancelled());
    CHECK(inner_slot.name() == "precious");
    CHECK_FALSE(inner_slot.cancelled());
    CHECK(inner_slot.result() == 42);
}

TEST_CASE("C42 Queue is FIFO - maxsize <= 0 is unbounded - the nowait forms raise QueueFull and QueueEmpty") {
    Queue<int> unbounded(0);
    for (int i = 0; i < 1000; ++i) unbounded.put_nowait(i);
    CHECK_FALSE(unbounded.full());
    CHECK(unbounded.get_nowait() == 0);
    CHECK(unbounded.get_nowait() == 1);
    Queue<int> negative(-5);
    negative.put_nowait(1);
    CHECK_FALSE(negative.full());
    Queue<std::string> q(2);
    q.put_nowait("a");
    q.put_nowait("b");
    CHECK(q.full());
    CHECK_THROWS_AS(q.put_nowait("c"), QueueFull);
    CHECK(q.get_nowait() == "a");
    CHECK(q.get_nowait() == "b");
    CHECK(q.empty());
    CHECK_THROWS_AS(q.get_nowait(), QueueEmpty);
}

namespace {
Coroutine<void> producer(Queue<int>* q, std::vector<std::string>* log) {
    for (int i = 0; i < 3; ++i) {
        co_await q->put(i);
        log->push_back("put " + std::to_string(i));
    }
}
Coroutine<void> consumer(Queue<int>* q, std::vector<std::string>* log, int n) {
    for (int i = 0; i < n; ++i) {
        const int v = co_await q->get();
        log->push_back("got " + std::to_string(v));
    }
}
} // namespace

TEST_CASE("C43 put waits while full, get while empty - a woken waiter resumes after an iteration") {
    LoopFixture f;
    Queue<int> q(1);
    std::vector<std::string> log;
    Task<void> c = f.loop.create_task(consumer(&q, &log, 3));
    conformance_test::step(f.loop);   // the consumer waits in get()
    Task<void> p = f.loop.create_task(producer(&q, &log));
    conformance_test::step(f.loop);   // put 0 (wakes the getter), put 1 waits: the queue is full
    CHECK(log == std::vector<std::string>{"put 0"});
    CHECK(q.full());
    conformance_test::step(f.loop);   // the consumer resumes one iteration later
    CHECK(log == std::vector<std::string>{"put 0", "got 0"});
    f.loop.run_until_complete(Future<void>(c));
    CHECK(log.size() == 6);
    CHECK(p.done());
}

TEST_CASE("C44 a cancelled getter is removed - one already woken passes the wake-up on") {
    LoopFixture f;
    Queue<int> q;
    std::vector<std::string> log;
    Task<void> a = f.loop.create_task(consumer(&q, &log, 1), "a");
    Task<void> b = f.loop.create_task(consumer(&q, &log, 1), "b");
    conformance_test::step(f.loop);   // both wait
    q.put_nowait(1);     // wakes a
    a.cancel();          // a was woken but not yet resumed: it must pass the item's wake-up to b
    f.loop.call_later(seconds(1), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(a.cancelled());
    CHECK(b.done());
    CHECK(log == std::vector<std::string>{"got 1"});
    CHECK(q.empty());

    // A getter cancelled while waiting leaves; the next item goes to the one still waiting.
    LoopFixture g;
    Queue<int> q2;
    std::vector<std::string> log2;
    Task<void> c = g.loop.create_task(consumer(&q2, &log2, 1), "c");
    Task<void> d = g.loop.create_task(consumer(&q2, &log2, 1), "d");
    conformance_test::step(g.loop);
    c.cancel();
    conformance_test::step(g.loop);
    CHECK(c.cancelled());
    q2.put_nowait(5);
    g.loop.run_until_complete(Future<void>(d));
    CHECK(log2 == std::vector<std::string>{"got 5"});
}

namespace {
Coroutine<void> worker(Queue<int>* q, std::vector<std::string>* log) {
    for (;;) {
        const int v = co_await q->get();
        co_await sleep(0.1 * v);
        log->push_back("done " + std::to_string(v));
        q->task_done();
    }
}
Coroutine<void> join_then_cancel(Queue<int>* q, std::vector<std::string>* log) {
    Task<void> w1 = create_task(worker(q, log));
    Task<void> w2 = create_task(worker(q, log));
    for (int i = 1; i <= 4; ++i) q->put_nowait(i);
    co_await q->join();
    log->push_back("joined at " + format_time(get_running_loop().time()));
    w1.cancel();
    w2.cancel();
    co_await gather(return_exceptions, w1, w2);
}
} // namespace

TEST_CASE("C45 join() returns once every item is marked done - extra task_done() is an error") {
    LoopFixture f;
    Queue<int> q;
    std::vector<std::string> log;
    f.loop.run_until_complete(join_then_cancel(&q, &log));
    CHECK(log == std::vector<std::string>{"done 1", "done 2", "done 3", "done 4", "joined at 0.600s"});
    CHECK_THROWS_AS(q.task_done(), std::invalid_argument);
    // join() on a queue with nothing unfinished returns at once.
    auto join_empty = [](Queue<int>* qq) -> Coroutine<int> {
        co_await qq->join();
        co_return 1;
    };
    CHECK(f.loop.run_until_complete(join_empty(&q)) == 1);
}

namespace {
Coroutine<void> hold(Lock* lock, std::string name, double d, std::vector<std::string>* log) {
    co_await lock->acquire();
    Lock::Guard guard(*lock);
    log->push_back(name + " has it at " + format_time(get_running_loop().time()));
    co_await sleep(d);
}
} // namespace

TEST_CASE("Lock: one holder at a time, first come first served - releasing a free lock is an error") {
    LoopFixture f;
    Lock lock;
    std::vector<std::string> log;
    auto all = [](Lock* l, std::vector<std::string>* lg) -> Coroutine<void> {
        co_await gather(hold(l, "a", 1, lg), hold(l, "b", 1, lg), hold(l, "c", 1, lg));
    };
    f.loop.run_until_complete(all(&lock, &log));
    CHECK(log == std::vector<std::string>{"a has it at 0.000s", "b has it at 1.000s", "c has it at 2.000s"});
    CHECK_FALSE(lock.locked());
    CHECK_THROWS_WITH_AS(lock.release(), "Lock is not acquired.", RuntimeError);
}

TEST_CASE("Lock: a cancelled waiter leaves the queue and the lock goes to the next") {
    LoopFixture f;
    Lock lock;
    std::vector<std::string> log;
    Task<void> a = f.loop.create_task(hold(&lock, "a", 1, &log));
    Task<void> b = f.loop.create_task(hold(&lock, "b", 1, &log));
    Task<void> c = f.loop.create_task(hold(&lock, "c", 1, &log));
    conformance_test::step(f.loop);
    b.cancel();
    f.loop.run_until_complete(Future<void>(c));
    CHECK(b.cancelled());
    CHECK(log == std::vector<std::string>{"a has it at 0.000s", "c has it at 1.000s"});
}

TEST_CASE("Event: wait() returns once set - set() wakes every waiter - clear() re-arms") {
    LoopFixture f;
    Event ev;
    std::vector<std::string> log;
    auto waiter = [](Event* e, std::vector<std::string>* lg, std::string n) -> Coroutine<void> {
        co_await e->wait();
        lg->push_back(n);
    };
    Task<void> a = f.loop.create_task(waiter(&ev, &log, "a"));
    Task<void> b = f.loop.create_task(waiter(&ev, &log, "b"));
    conformance_test::step(f.loop);
    CHECK(log.empty());
    ev.set();
    f.loop.run_until_complete(Future<void>(b));
    CHECK(log == std::vector<std::string>{"a", "b"});
    CHECK(ev.is_set());
    f.loop.run_until_complete(waiter(&ev, &log, "immediate"));
    ev.clear();
    CHECK_FALSE(ev.is_set());
}

TEST_CASE("Semaphore: at most N holders - release wakes one - a negative start is an error") {
    LoopFixture f;
    Semaphore sem(2);
    int inside = 0, most = 0;
    auto user = [](Semaphore* s, int* in, int* mx) -> Coroutine<void> {
        co_await s->acquire();
        ++*in;
        if (*in > *mx) *mx = *in;
        co_await sleep(1);
        --*in;
        s->release();
    };
    auto all = [](std::vector<Coroutine<void>> us) -> Coroutine<void> { co_await gather(std::move(us)); };
    std::vector<Coroutine<void>> users;
    for (int i = 0; i < 5; ++i) users.push_back(user(&sem, &inside, &most));
    f.loop.run_until_complete(all(std::move(users)));
    CHECK(most == 2);
    CHECK(f.loop.time() == seconds(3));
    CHECK(sem.value() == 2);
    CHECK_THROWS_AS(Semaphore(-1), std::invalid_argument);
}
namespace {
Coroutine<int> shield_failing() {
    co_return co_await shield(fail_after(0.5, "inner failed"));
}
} // namespace

TEST_CASE("shield: the inner exception reaches the caller - an inner cancellation cancels the outer") {
    LoopFixture f;
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(shield_failing()), "inner failed", std::runtime_error);
    Task<int> inner = f.loop.create_task(value_after(0, 0));
    Task<int> caller = f.loop.create_task(shielded_caller(&inner));   // C41's caller
    f.loop.call_later(seconds(1), [&] { inner.cancel(); });
    CHECK_THROWS_AS(f.loop.run_until_complete(Future<int>(caller)), CancelledError);
    CHECK(inner.cancelled());
    CHECK(caller.cancelled());
    CHECK(f.reports.empty());
}

namespace {
Coroutine<int> shields_a_failure() {
    co_return co_await shield(fail_after(2, "inner failed"));
}
} // namespace

TEST_CASE("C54 shield: after the caller was cancelled, the inner task's later failure is reported") {
    LoopFixture f;
    Task<int> caller = f.loop.create_task(shields_a_failure());
    f.loop.call_later(seconds(1), [&] { caller.cancel(); });
    CHECK_THROWS_AS(f.loop.run_until_complete(Future<int>(caller)), CancelledError);
    CHECK(f.loop.time() == seconds(1));
    CHECK(f.reports.empty());
    f.loop.run_until_complete(sleep(2));   // the inner task fails at 2 s; nobody listens to it any more
    CHECK(f.reported("Task exception was never retrieved") == 1);
    CHECK(f.reports.size() == 1);
}

namespace {
Coroutine<void> sem_user(Semaphore* s, std::string name, std::vector<std::string>* log) {
    co_await s->acquire();
    log->push_back(name);
    co_await sleep(1);
    s->release();
}
// Releases (which wakes the first waiter), then at once cancels that woken waiter.
Coroutine<void> sem_releaser(Semaphore* s, std::optional<Task<void>>* victim, std::vector<std::string>* log) {
    co_await s->acquire();
    log->push_back("a");
    co_await sleep(1);
    s->release();
    (*victim)->cancel();
}
} // namespace

TEST_CASE("Semaphore: a waiter woken and then cancelled hands its unit to the next waiter") {
    LoopFixture f;
    Semaphore sem(1);
    std::vector<std::string> log;
    std::optional<Task<void>> b;
    Task<void> a = f.loop.create_task(sem_releaser(&sem, &b, &log));
    b.emplace(f.loop.create_task(sem_user(&sem, "b", &log)));
    Task<void> c = f.loop.create_task(sem_user(&sem, "c", &log));
    f.loop.run_until_complete(Future<void>(c));
    CHECK(b->cancelled());
    CHECK(log == std::vector<std::string>{"a", "c"});
    CHECK(f.loop.time() == seconds(2));
    CHECK(sem.value() == 1);
}

namespace {
// Waits for `go` (when given), notes whether the semaphore looks locked, then acquires it.
Coroutine<void> sem_newcomer(Semaphore* s, Event* go, std::string name, std::vector<std::string>* log,
                             std::vector<std::uint64_t>* when) {
    if (go != nullptr) {
        co_await go->wait();
        log->push_back(name + (s->locked() ? " queues" : " finds it free"));
    }
    co_await s->acquire();
    log->push_back(name + " acquired");
    when->push_back(get_running_loop().iterations());
}
} // namespace

TEST_CASE("C56 Semaphore: a woken waiter that has not run yet still counts against locked() - "
          "after acquiring it wakes the newcomers") {
    LoopFixture f;
    Semaphore sem(0);
    Event go;
    std::vector<std::string> log;
    std::vector<std::uint64_t> when;
    Task<void> a = f.loop.create_task(sem_newcomer(&sem, nullptr, "a", &log, &when));
    Task<void> b = f.loop.create_task(sem_newcomer(&sem, &go, "b", &log, &when));
    Task<void> c = f.loop.create_task(sem_newcomer(&sem, &go, "c", &log, &when));
    conformance_test::step(f.loop);                 // a waits for a unit, b and c for the event
    go.set();                                   // b's and c's wake-ups are queued first...
    for (int i = 0; i < 3; ++i) sem.release();  // ...then a's; two more units, nobody else to wake
    CHECK(sem.value() == 2);
    CHECK(sem.locked());                        // a was woken and has not run: it still counts
    f.loop.run_until_complete(gather(a, b, c));
    CHECK(log == std::vector<std::string>{"b queues", "c queues", "a acquired", "b acquired", "c acquired"});
    // asyncio 3.13: a, having acquired, wakes b and c at once (3.11 wakes b, which wakes c later).
    REQUIRE(when.size() == 3);
    CHECK(when[1] == when[0] + 1);
    CHECK(when[2] == when[1]);
    CHECK(sem.value() == 0);
}