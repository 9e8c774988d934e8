// Exercise 06_timeout: timeout() (and wait_for, built on it). A loop on the virtual clock, so a
// 10-second body costs no real time and every instant below is exact.
#include <doctest/doctest.h>

#include "check_printing.hpp"

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

Coroutine<int> suppresses(std::vector<std::string>* log) {
    try {
        co_await sleep(10);
    } catch (const CancelledError&) {
        log->push_back("suppressed");
    }
    co_return 9;
}

Coroutine<int> inner_first(std::vector<std::string>* log) {
    try {
        co_await timeout(1.0, value_after(10, 1));
    } catch (const TimeoutError&) {
        log->push_back("inner TimeoutError at " + format_time(get_running_loop().time()));
    }
    co_return co_await value_after(1, 2);
}

Coroutine<int> outer_first(std::vector<std::string>* log) {
    try {
        co_return co_await timeout(10.0, value_after(20, 1));
    } catch (const TimeoutError&) {
        log->push_back("inner TimeoutError (wrong)");
    }
    co_return 0;
}

Coroutine<int> fails_fast() {
    co_await sleep(0.5);
    throw std::runtime_error("body failed");
}
} // namespace

TEST_CASE("a body that finishes in time gives its value, and the deadline is forgotten" *
          doctest::description("await the body; then cancel the timer (loop.call_at returns a handle), so that "
                               "nothing fires later into a frame that is gone")) {
    LoopFixture f;
    std::vector<std::string> log;
    CHECK(f.loop.run_until_complete(guarded(value_after(1, 5), 2, &log)) == "value 5");
    CHECK(log.empty());
    CHECK(f.loop.run_until_complete(value_after(5, 0)) == 0);   // past the old deadline: nothing fires
    CHECK(f.reports.empty());
}

TEST_CASE("at the deadline the body is cancelled where it waits, cleans up, and TimeoutError follows" *
          doctest::description("the timer's callback cancels the task (current_task().cancel()); the body's "
                               "CancelledError arrives at your co_await: catch it, uncancel() the task, and "
                               "throw TimeoutError")) {
    LoopFixture f;
    std::vector<std::string> log;
    CHECK(f.loop.run_until_complete(guarded(slow_with_cleanup(&log), 1, &log)) == "timed out");
    CHECK(log == std::vector<std::string>{"body cancelled at 1.000s", "body cleaned up at 1.500s",
                                          "TimeoutError at 1.500s, cancelling() = 0"});
}

TEST_CASE("the body's own exception goes through unchanged" *
          doctest::description("only a CancelledError can become TimeoutError; anything else: cancel the timer "
                               "and rethrow it")) {
    LoopFixture f;
    auto body = []() -> Coroutine<int> { co_return co_await timeout(2.0, fails_fast()); };
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(body()), "body failed", std::runtime_error);
    CHECK(f.loop.time() == seconds(0.5));
}

TEST_CASE("a body that catches the cancellation and returns gives its value" *
          doctest::description("the deadline passed (your flag is set) but the body returned: uncancel() the "
                               "task, so its cancelling() count goes back, and return the value")) {
    LoopFixture f;
    std::vector<std::string> log;
    auto body = [](std::vector<std::string>* lg) -> Coroutine<std::string> {
        const int v = co_await timeout(1.0, suppresses(lg));
        co_return "value " + std::to_string(v) + ", cancelling() = " + std::to_string(current_task().cancelling());
    };
    CHECK(f.loop.run_until_complete(body(&log)) == "value 9, cancelling() = 0");
    CHECK(log == std::vector<std::string>{"suppressed"});
}

TEST_CASE("nested deadlines each catch only their own cancellation" *
          doctest::description("remember task.cancelling() before; when a CancelledError arrives, it is yours "
                               "alone only if your timer fired and uncancel() brings the count back to that "
                               "number: otherwise rethrow it")) {
    LoopFixture f;
    std::vector<std::string> log;
    CHECK(f.loop.run_until_complete(guarded(inner_first(&log), 5, &log)) == "value 2");
    CHECK(log == std::vector<std::string>{"inner TimeoutError at 1.000s"});
    log.clear();
    CHECK(f.loop.run_until_complete(guarded(outer_first(&log), 1, &log)) == "timed out");
    CHECK(log == std::vector<std::string>{"TimeoutError at 3.000s, cancelling() = 0"});
}

TEST_CASE("cancelled from outside too, the cancellation goes on up" *
          doctest::description("two requests (ours and someone else's): uncancel() leaves one, so the "
                               "CancelledError is not only ours: rethrow it, do not turn it into TimeoutError")) {
    LoopFixture f;
    std::vector<std::string> log;
    Task<std::string> t = f.loop.create_task(guarded(value_after(10, 1), 1, &log));
    f.loop.call_later(seconds(0.5), [&] { f.loop.call_later(seconds(0.5), [&] { t.cancel(); }); });
    f.loop.call_later(seconds(3), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(t.cancelled());
    CHECK(log.empty());
}

TEST_CASE("wait_for, built on timeout(), times out too" *
          doctest::description("wait_for(op, t) is co_await timeout(t, op): if the timeout checks pass, so does this")) {
    LoopFixture f;
    auto caller = []() -> Coroutine<std::string> {
        try {
            co_return "value " + std::to_string(co_await wait_for(value_after(10, 1), 2.0));
        } catch (const TimeoutError&) {
            co_return "TimeoutError at " + format_time(get_running_loop().time());
        }
    };
    CHECK(f.loop.run_until_complete(caller()) == "TimeoutError at 2.000s");
}
