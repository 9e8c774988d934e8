// sleep(), run() and the errors of the core: C34 and the error paths. Compiled against stage 05 and every later stage.
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


TEST_CASE("C34 sleep(d) completes through call_later(d) - cancelling it cancels the timer") {
    LoopFixture f;
    std::vector<std::string> log;
    Task<void> t = f.loop.create_task(sleeper(2.0, &log));
    conformance_test::step(f.loop);
    CHECK(f.loop.scheduled_timers() == 1);
    t.cancel();
    conformance_test::step(f.loop);
    CHECK(log == std::vector<std::string>{"cancelled"});
    CHECK(t.cancelled());
    f.loop.call_soon([] {});
    conformance_test::step(f.loop);   // the cancelled timer is dropped from the top of the heap
    CHECK(f.loop.scheduled_timers() == 0);
    CHECK(f.loop.time() == Duration{0});
    Task<void> t2 = f.loop.create_task(sleeper(2.0, &log));
    f.loop.run_until_complete(Future<void>(t2));
    CHECK(f.loop.time() == seconds(2));
    CHECK(log.back() == "woke");
}


namespace {
Coroutine<int> leaves_a_task(std::vector<std::string>* log) {
    create_task(sleeper(100, log), "background");
    co_await sleep(1);
    co_return 3;
}
} // namespace

TEST_CASE("run(): runs main, cancels what is left (no 'destroyed but pending'), closes the loop") {
    VirtualClock clock;
    std::vector<ErrorContext> reports;
    std::vector<std::string> log;
    FrameCheck frames;
    RunOptions opts;
    opts.exception_handler = [&](const ErrorContext& c) { reports.push_back(c); };
    CHECK(run(leaves_a_task(&log), clock, opts) == 3);
    CHECK(log == std::vector<std::string>{"cancelled"});
    CHECK(reports.empty());
    CHECK(frames.alive() == 0);
    CHECK(clock.now() == seconds(1));
    // main's exception reaches run()'s caller.
    CHECK_THROWS_WITH_AS(run(fail_after(0.5, "main failed"), clock, opts), "main failed", std::runtime_error);
}

TEST_CASE("sleep(0), Future() and create_task() outside a running loop are errors") {
    CHECK_THROWS_AS(Future<int>(), RuntimeError);
    CHECK_THROWS_AS(create_task(value_after(0, 1)), RuntimeError);
    CHECK_THROWS_AS(get_running_loop(), RuntimeError);
}


TEST_CASE("errors: describe() and is_cancellation() name what they hold") {
    CHECK(describe(nullptr) == "no exception");
    CHECK(describe(std::make_exception_ptr(CancelledError("why"))) == "CancelledError: why");
    CHECK(describe(std::make_exception_ptr(42)) == "unknown exception");
    CHECK(is_cancellation(std::make_exception_ptr(CancelledError())));
    CHECK_FALSE(is_cancellation(std::make_exception_ptr(InvalidStateError("pending"))));
    CHECK_FALSE(is_cancellation(nullptr));
    // CancelledError is deliberately not a std::exception.
    bool passed_through = false;
    try {
        try {
            throw CancelledError();
        } catch (const std::exception&) {
            FAIL("a std::exception handler must not catch a cancellation");
        }
    } catch (const CancelledError&) {
        passed_through = true;
    }
    CHECK(passed_through);
}
