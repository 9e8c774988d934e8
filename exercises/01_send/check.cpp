// Exercise 01_send: Generator::send passes a value into the generator, where it becomes the value of
// the co_yield the generator is suspended at, and returns what the generator yields next.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <optional>
#include <string>
#include <vector>

#include "generator.hpp"

using namespace looplab;

namespace {
// Python's classic: a running average that receives numbers through send().
Generator<double, double> averager() {
    double total = 0;
    int count = 0;
    double average = 0;
    while (true) {
        std::optional<double> got = co_yield average;
        if (!got) continue;           // next() instead of send(): nothing new
        total += *got;
        count += 1;
        average = total / count;
    }
}

// Records what each co_yield received, and stops after three yields.
Generator<int, std::string> recorder(std::vector<std::string>* seen) {
    for (int i = 1; i <= 3; ++i) {
        std::optional<std::string> got = co_yield i;
        seen->push_back(got ? *got : "(nothing)");
    }
}
} // namespace

TEST_CASE("send() delivers the value to the co_yield and returns the next yielded value" *
          doctest::description("store the value in the chain's channel (frame_.promise().channel->sent), then "
                               "resume exactly as next() does: the private resume(\"send()\")")) {
    auto avg = averager();
    CHECK(avg.next() == std::optional<double>(0.0));    // prime it: run to the first co_yield
    CHECK(avg.send(10.0) == std::optional<double>(10.0));
    CHECK(avg.send(20.0) == std::optional<double>(15.0));
    CHECK(avg.send(60.0) == std::optional<double>(30.0));
}

TEST_CASE("each sent value is received once; next() sends nothing" *
          doctest::description("a value sent must reach only the co_yield it was sent to: yield_value's "
                               "await_resume takes it out of the channel (std::exchange), so send() must put "
                               "it in the same channel the generator reads")) {
    std::vector<std::string> seen;
    auto rec = recorder(&seen);
    CHECK(rec.next() == std::optional<int>(1));
    CHECK(rec.send("a") == std::optional<int>(2));
    CHECK(rec.next() == std::optional<int>(3));
    CHECK(seen == std::vector<std::string>{"a", "(nothing)"});
}

TEST_CASE("sending into a generator that has not started is an error" *
          doctest::description("a generator that has not run yet is not suspended at any co_yield, so nothing "
                               "could receive the value: throw GeneratorError (Python raises TypeError); check "
                               "started_ first")) {
    auto avg = averager();
    CHECK_THROWS_AS(avg.send(1.0), GeneratorError);
    CHECK(avg.next() == std::optional<double>(0.0));   // and it can still be primed afterwards
}

TEST_CASE("sending into a finished generator yields nothing" *
          doctest::description("when the frame is done (or empty), there is nothing to resume: return "
                               "std::nullopt without touching the frame")) {
    std::vector<std::string> seen;
    auto rec = recorder(&seen);
    CHECK(rec.next() == std::optional<int>(1));
    CHECK(rec.send("x") == std::optional<int>(2));
    CHECK(rec.send("y") == std::optional<int>(3));
    CHECK(rec.send("z") == std::nullopt);               // the body ended after receiving "z"
    CHECK(rec.done());
    CHECK(rec.send("late") == std::nullopt);
    CHECK(seen == std::vector<std::string>{"x", "y", "z"});
}
