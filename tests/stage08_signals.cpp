// Stage 08's add_signal_handler(): a signal's callback runs as an ordinary callback on the loop's
// thread (never inside the signal handler), wakes a loop asleep in the selector, and
// remove_signal_handler() puts back what was there before.
#include <doctest/doctest.h>

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "run.hpp"

using namespace looplab;

namespace {
volatile std::sig_atomic_t test_handler_ran = 0;
void test_handler(int) { test_handler_ran = 1; }
} // namespace

TEST_CASE("add_signal_handler: the callback runs later, as a loop callback on the loop's thread, not inside the handler") {
    for (SelectorKind kind : {SelectorKind::epoll, SelectorKind::select}) {
        CAPTURE(selector_name(kind));
        RealClock clock;
        EventLoop loop(clock, make_selector(kind));
        std::vector<std::string> order;
        std::thread::id ran_on;
        loop.add_signal_handler(SIGUSR1, [&] {
            order.push_back("handler");
            ran_on = std::this_thread::get_id();
            loop.stop();
        });
        loop.call_soon([&] {
            REQUIRE(::raise(SIGUSR1) == 0);   // the real handler runs inside raise(): it only writes a byte
            order.push_back("raise returned");
        });
        loop.run_forever();
        CHECK(order == std::vector<std::string>{"raise returned", "handler"});
        CHECK(ran_on == std::this_thread::get_id());
        CHECK(loop.remove_signal_handler(SIGUSR1));
        CHECK_FALSE(loop.remove_signal_handler(SIGUSR1));
        loop.close();
    }
}

TEST_CASE("add_signal_handler: a signal sent by another thread wakes a loop asleep in the selector") {
    RealClock clock;
    EventLoop loop(clock);
    int got = 0;
    loop.add_signal_handler(SIGUSR2, [&] { got = SIGUSR2; loop.stop(); });
    const pthread_t loop_thread = ::pthread_self();
    std::thread sender([loop_thread] { ::pthread_kill(loop_thread, SIGUSR2); });
    loop.run_forever();   // nothing else to wait for: only the self-pipe can wake it
    sender.join();
    CHECK(got == SIGUSR2);
    loop.close();   // close() restores the old disposition too
}

TEST_CASE("remove_signal_handler restores the disposition from before; uncatchable signals are refused naming sigaction") {
    struct sigaction mine {};
    mine.sa_handler = test_handler;
    sigemptyset(&mine.sa_mask);
    struct sigaction saved {};
    REQUIRE(::sigaction(SIGUSR1, &mine, &saved) == 0);
    {
        VirtualClock clock;
        EventLoop loop(clock);
        loop.add_signal_handler(SIGUSR1, [] {});
        loop.add_signal_handler(SIGUSR1, [] {});   // replaced: the "before" is still ours
        CHECK(loop.remove_signal_handler(SIGUSR1));
        CHECK_THROWS_WITH_AS(loop.add_signal_handler(SIGKILL, [] {}), doctest::Contains("sigaction(SIGKILL)"), std::system_error);
        // One loop at a time holds the self-pipe.
        loop.add_signal_handler(SIGUSR2, [] {});
        VirtualClock clock2;
        EventLoop other(clock2);
        CHECK_THROWS_AS(other.add_signal_handler(SIGUSR2, [] {}), RuntimeError);
    }
    struct sigaction now {};
    REQUIRE(::sigaction(SIGUSR1, nullptr, &now) == 0);
    CHECK((now.sa_handler == &test_handler));   // doctest cannot print a function pointer: a bool
    test_handler_ran = 0;
    REQUIRE(::raise(SIGUSR1) == 0);
    CHECK(test_handler_ran == 1);
    ::sigaction(SIGUSR1, &saved, nullptr);
}
