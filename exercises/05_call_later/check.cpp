// Exercise 05_call_later: timers in the callback loop. A loop on the virtual clock: time jumps to the
// next deadline, so a 5-second timer costs no real time.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;

TEST_CASE("a timer runs once its delay has passed, not before" *
          doctest::description("call_at(when, ...) files a HandleState whose `when` is the deadline; the loop's "
                               "run_once() runs it once time() reaches it")) {
    LoopFixture f;
    std::vector<Duration> ran_at;
    f.loop.call_later(seconds(5), [&] { ran_at.push_back(f.loop.time()); });
    f.loop.call_later(seconds(6), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(ran_at == std::vector<Duration>{seconds(5)});
}

TEST_CASE("timers run in deadline order, equal deadlines in scheduling order" *
          doctest::description("push onto timers_ with std::push_heap(timers_.begin(), timers_.end(), later); "
                               "`later` compares `when`, then `seq`: give each timer next_seq_++")) {
    LoopFixture f;
    std::vector<int> order;
    f.loop.call_later(seconds(0.3), [&] { order.push_back(3); });
    f.loop.call_later(seconds(0.1), [&] { order.push_back(1); });
    f.loop.call_later(seconds(0.2), [&] { order.push_back(20); });
    f.loop.call_later(seconds(0.2), [&] { order.push_back(21); });
    f.loop.call_later(seconds(0.2), [&] { order.push_back(22); });
    f.loop.call_later(seconds(0.4), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(order == std::vector<int>{1, 20, 21, 22, 3});
    CHECK(f.loop.time() == seconds(0.4));
}

TEST_CASE("zero and negative delays are due at once, in deadline order" *
          doctest::description("nothing special to do: a deadline in the past is simply the earliest")) {
    LoopFixture f;
    std::vector<int> order;
    f.loop.call_later(seconds(0), [&] { order.push_back(0); });
    f.loop.call_later(seconds(-1), [&] { order.push_back(-1); });
    f.loop.call_later(seconds(-2), [&] { order.push_back(-2); });
    f.loop.run_once();
    CHECK(order == std::vector<int>{-2, -1, 0});
    CHECK(f.loop.time() == Duration{0});
}

TEST_CASE("call_at takes an absolute loop time" *
          doctest::description("call_later(delay) is call_at(time() + delay): call_at must not add time() again")) {
    LoopFixture f;
    f.clock.advance(seconds(10));
    std::vector<Duration> ran_at;
    f.loop.call_at(seconds(12), [&] { ran_at.push_back(f.loop.time()); });
    f.loop.call_at(seconds(13), [&] { f.loop.stop(); });
    f.loop.run_forever();
    CHECK(ran_at == std::vector<Duration>{seconds(12)});
}

TEST_CASE("a cancelled timer never runs, and the loop counts it for clean-up" *
          doctest::description("return TimerHandle(h) on the shared state you pushed, and set "
                               "h->cancelled_count = &cancelled_timers_ so that cancel() can count itself")) {
    LoopFixture f;
    bool ran = false;
    TimerHandle h = f.loop.call_later(seconds(1), [&] { ran = true; });
    f.loop.call_later(seconds(2), [&] { f.loop.stop(); });
    CHECK(h.when() == seconds(1));
    h.cancel();
    f.loop.run_forever();
    CHECK_FALSE(ran);

    // When cancelled timers are most of a big heap, the loop rebuilds it without them: it knows how
    // many there are only if each cancel() counted itself.
    std::vector<TimerHandle> many;
    for (int i = 0; i < 200; ++i) many.push_back(f.loop.call_later(seconds(10 + i), [] {}));
    for (int i = 0; i < 150; ++i) many[static_cast<std::size_t>(i) + 50].cancel();
    f.loop.run_once();
    CHECK(f.loop.heap_rebuilds() == 1);
    CHECK(f.loop.scheduled_timers() == 49);   // 50 left, and the earliest ran: the virtual clock jumped to it
}

TEST_CASE("sleep() is built on call_later" *
          doctest::description("if the timer checks pass and this fails, look at the name and callback you store")) {
    LoopFixture f;
    std::vector<std::string> log;
    auto body = [](std::vector<std::string>* out) -> Coroutine<void> {
        co_await sleep(seconds(2));
        out->push_back("after 2 s");
        co_await sleep(seconds(1));
        out->push_back("after 3 s");
    };
    f.loop.run_until_complete(body(&log));
    CHECK(log == std::vector<std::string>{"after 2 s", "after 3 s"});
    CHECK(f.loop.time() == seconds(3));
}

TEST_CASE("a closed loop refuses new timers" *
          doctest::description("call check_open() first, as call_soon() does: it throws RuntimeError")) {
    VirtualClock clock;
    EventLoop loop(clock);
    loop.close();
    CHECK_THROWS_AS(loop.call_later(seconds(1), [] {}), RuntimeError);
}
