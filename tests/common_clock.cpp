// common/clock: the real clock is monotonic and really waits; the virtual clock jumps, never goes
// backwards, and prints instants the same way every time.
#include <doctest/doctest.h>

#include <stdexcept>

#include "looplab/clock.hpp"

using namespace looplab;

TEST_CASE("virtual clock starts at 0 and jumps straight to a deadline") {
    VirtualClock clock;
    CHECK(clock.now() == Duration::zero());
    clock.sleep_until(seconds(3600));
    CHECK(clock.now() == seconds(3600));
    CHECK(clock.is_virtual());
    CHECK(clock.name() == "virtual");
}

TEST_CASE("virtual clock never goes backwards") {
    VirtualClock clock;
    clock.sleep_until(seconds(2));
    clock.sleep_until(seconds(1));   // a deadline in the past is already due
    CHECK(clock.now() == seconds(2));
    clock.advance(seconds(0.5));
    CHECK(clock.now() == seconds(2.5));
    clock.busy_for(seconds(1));
    CHECK(clock.now() == seconds(3.5));
}

TEST_CASE("real clock is monotonic and sleep_until does not return early") {
    RealClock clock;
    CHECK_FALSE(clock.is_virtual());
    const Duration a = clock.now();
    const Duration deadline = a + std::chrono::milliseconds(5);
    clock.sleep_until(deadline);
    const Duration b = clock.now();
    CHECK(b >= deadline);
    CHECK(clock.now() >= b);
}

TEST_CASE("format_time prints three decimals and rounds to the millisecond") {
    CHECK(format_time(Duration::zero()) == "0.000s");
    CHECK(format_time(seconds(0.3)) == "0.300s");
    CHECK(format_time(seconds(0.1) + seconds(0.2)) == "0.300s");
    CHECK(format_time(seconds(12.3456)) == "12.346s");
    CHECK(format_time(seconds(-1.5)) == "-1.500s");
    CHECK(to_seconds(seconds(2.25)) == doctest::Approx(2.25));
}

TEST_CASE("make_clock makes the kind asked for and refuses others") {
    CHECK(make_clock("virtual")->is_virtual());
    CHECK_FALSE(make_clock("real")->is_virtual());
    CHECK_THROWS_AS(make_clock("wall"), std::invalid_argument);
}
