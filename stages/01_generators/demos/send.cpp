// Demo `send`: values flow *into* a generator too. The classic running average: each send() passes a
// number in, and the generator yields the average so far.
#include <cstdio>
#include <string>

#include "demos/demos.hpp"
#include "generator.hpp"

namespace looplab::inline stage01 {

namespace {
std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// The locals total and count are the state a callback-based average would keep in an object; here
// they are just locals, because the function does not return between numbers.
Generator<double, double> running_average() {
    double total = 0;
    long count = 0;
    double average = 0;
    while (true) {
        std::optional<double> value = co_yield average;   // hand out the average, wait for a number
        if (!value) continue;                             // next() sent nothing: yield the same again
        total += *value;
        count += 1;
        average = total / static_cast<double>(count);
    }
}
} // namespace

void demo_send(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("Sending into a generator that has not started is an error");
    say.say("send(v) makes v the value of the co_yield expression the generator is stopped at. A fresh "
            "generator is not stopped at any co_yield yet, so there is nowhere for v to go. Python says "
            "TypeError; looplab throws GeneratorError.");
    Generator<double, double> avg = running_average();
    avg.traced(ctx.trace, "average");
    try {
        avg.send(10);
        say.line("caller: send(10) was accepted?!");
    } catch (const GeneratorError& e) {
        say.line(std::string("caller: send(10) -> GeneratorError: ") + e.what());
    }

    say.heading("Prime it with next(), then send numbers");
    say.line("caller: next()    -> " + fmt(*avg.next()) + "   (runs to the first co_yield)");
    for (double v : {10.0, 30.0, 5.0, 15.0})
        say.line("caller: send(" + fmt(v) + ") -> " + fmt(*avg.send(v)));
    say.line("caller: next()    -> " + fmt(*avg.next()) + "   (no number: the co_yield gives an empty optional)");
    say.say("The generator kept total and count in its frame between calls: a coroutine is an object "
            "whose state is its local variables. This two-way channel is what stage 02 builds on: "
            "a coroutine yields a request to its driver, and the driver sends the answer back in.");
    say.source("read the Yielded awaiter in PromiseBase::yield_value(), generator.hpp");
}

} // namespace looplab::stage01
