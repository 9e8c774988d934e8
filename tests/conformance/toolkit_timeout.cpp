// timeout() and the wait_for built on it, as asyncio 3.12+ has them (3.13 is the reference): C68-C73.
// Each behaviour that differs in 3.11 says so; checked with CPython 3.11.7, 3.12.1 and 3.13.0.
// Compiled against stage 06 and every later stage.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;
using conformance_test::value_after;

namespace {
// Sleeps 10 s; on cancellation cleans up for 0.5 s (an await in the cleanup) and lets it go on.
Coroutine<int> slow_with_cleanup(std::vector<std::string>* log) {
    bool cancelled = false;
    try {
        co_await sleep(10);
    } catch (const CancelledError&) {
        cancelled = true;
        log->push_back("body cancelled at " + format_time(get_running_loop().time()));
    }
    if (cancelled) {
        co_await sleep(0.5);
        log->push_back("body cleaned up at " + format_time(get_running_loop().time()));
        throw CancelledError();
    }
    co_return 1;
}
Coroutine<std::string> guarded(Coroutine<int> body, double limit, std::vector<std::string>* log) {
    try {
        const int v = co_await timeout(limit, std::move(body));
        co_return "value " + std::to_string(v);
    } catch (const TimeoutError&) {
        log->push_back("TimeoutError at " + format_time(get_running_loop().time()) +
                       ", cancelling() = " + std::to_string(current_task().cancelling()));
        co_return "timed out";
    }
}
} // namespace

TEST_CASE("C68 timeout: a body that finishes in time gives its value, and the deadline is forgotten") {
    LoopFixture f;
    std::vector<std::string> log;
    CHECK(f.loop.run_until_complete(guarded(value_after(1, 5), 2, &log)) == "value 5");
    CHECK(log.empty());
    // The timer was cancelled: running on to its deadline fires nothing.
    CHECK(f.loop.run_until_complete(value_after(5, 0)) == 0);
    CHECK(f.reports.empty());
}

TEST_CASE("C69 timeout: at the deadline the body is cancelled where it waits, cleans up, and TimeoutError follows") {
    LoopFixture f;
    std::vector<std::string> log;
    CHECK(f.loop.run_until_complete(guarded(slow_with_cleanup(&log), 1, &log)) == "timed out");
    CHECK(log == std::vector<std::string>{"body cancelled at 1.000s", "body cleaned up at 1.500s",
                                          "TimeoutError at 1.500s, cancelling() = 0"});
}

TEST_CASE("C70 timeout: the body runs inline in the awaiting task (3.11's wait_for made a new task)") {
    LoopFixture f;
    auto body = [](AnyTask* seen) -> Coroutine<int> {
        *seen = current_task();
        co_await sleep(0.1);
        co_return static_cast<int>(get_running_loop().all_tasks().size());
    };
    auto outer = [&body](AnyTask* seen, AnyTask* me, bool use_wait_for) -> Coroutine<int> {
        *me = current_task();
        if (use_wait_for) co_return co_await wait_for(body(seen), 1.0);
        co_return co_await timeout(1.0, body(seen));
    };
    for (bool use_wait_for : {false, true}) {
        AnyTask seen;
        AnyTask me;
        CHECK(f.loop.run_until_complete(outer(&seen, &me, use_wait_for)) == 1);   // no second task
        CHECK(seen == me);
    }
}

TEST_CASE("C71 timeout: nested deadlines each catch only their own cancellation") {
    LoopFixture f;
    std::vector<std::string> log;
    // The inner deadline passes first: the inner timeout raises, the outer body goes on.
    auto inner_first = [](std::vector<std::string>* lg) -> Coroutine<int> {
        try {
            co_await timeout(1.0, value_after(10, 1));
        } catch (const TimeoutError&) {
            lg->push_back("inner TimeoutError at " + format_time(get_running_loop().time()));
        }
        co_return co_await value_after(1, 2);
    };
    CHECK(f.loop.run_until_complete(guarded(inner_first(&log), 5, &log)) == "value 2");
    CHECK(log == std::vector<std::string>{"inner TimeoutError at 1.000s"});
    log.clear();
    // The outer deadline passes first: the inner timeout lets the CancelledError through (its own
    // timer never fired), and the outer one turns it into TimeoutError.
    auto outer_first = [](std::vector<std::string>* lg) -> Coroutine<int> {
        try {
            co_return co_await timeout(10.0, value_after(20, 1));
        } catch (const TimeoutError&) {
            lg->push_back("inner TimeoutError (wrong)");
        }
        co_return 0;
    };
    CHECK(f.loop.run_until_complete(guarded(outer_first(&log), 1, &log)) == "timed out");
    CHECK(log == std::vector<std::string>{"TimeoutError at 3.000s, cancelling() = 0"});   // 2 s + 1 s
}

TEST_CASE("C72 timeout: cancelled from outside in the deadline's own iteration, the cancellation goes on up") {
    LoopFixture f;
    std::vector<std::string> log;
    Task<std::string> t = f.loop.create_task(guarded(value_after(10, 1), 1, &log));
    // Scheduled after the task's first step has set its deadline at 1 s: due in the same iteration,
    // after the deadline's timer.
    f.loop.call_later(seconds(0.5), [&] { f.loop.call_later(seconds(0.5), [&] { t.cancel(); }); });
    f.loop.call_later(seconds(3), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(t.cancelled());   // not "timed out": uncancel() left one request, which was not ours
    CHECK(log.empty());
}

TEST_CASE("C73 timeout: a result that arrives in the deadline's iteration still times out (3.11's wait_for returned it)") {
    LoopFixture f;
    std::vector<std::string> log;
    Future<int> answer(f.loop, "answer");
    // The answer's timer is scheduled before the deadline's, for the same time, so it fires first in
    // the same iteration: the task is woken with a result, but cancel() arrives before it runs.
    f.loop.call_at(seconds(1), [&] { answer.set_result(7); });
    auto op = [](Future<int> a) -> Coroutine<int> { co_return co_await a; };
    auto caller = [&]() -> Coroutine<std::string> {
        try {
            co_return "value " + std::to_string(co_await wait_for(op(answer), 1.0));
        } catch (const TimeoutError&) {
            co_return "TimeoutError";
        }
    };
    CHECK(f.loop.run_until_complete(caller()) == "TimeoutError");
    CHECK(answer.result() == 7);
}
