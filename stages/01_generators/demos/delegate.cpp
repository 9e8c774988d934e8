// Demo `delegate`: yield_from, Python's `yield from`. A generator hands the rest of its work to a
// sub-generator: values flow out, sent values and thrown exceptions flow in, and the sub-generator's
// return value becomes the value of the delegation. Then a chain 100,000 deep, to show it stays flat.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "demos/demos.hpp"
#include "generator.hpp"

namespace looplab::inline stage01 {

namespace {
/// What the caller throws in when a sensor reading is garbage.
struct BadReading {};

std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

// Averages one group of readings. It yields the running average after each reading; a next() with no
// reading ends the group, and the average is *returned*.
Generator<double, double, double> group_average(std::string name, Narrator* say) {
    double total = 0;
    int count = 0;
    say->task_line(name, "starts");
    while (true) {
        std::optional<double> reading;
        try {
            reading = co_yield (count ? total / count : 0.0);
        } catch (const BadReading&) {
            say->task_line(name, "caught BadReading thrown in by the caller: discarded");
            continue;
        }
        if (!reading) break;
        total += *reading;
        count += 1;
    }
    const double average = count ? total / count : 0.0;
    say->task_line(name, "returns " + fmt(average));
    co_return average;
}

// Delegates to one group_average per group and collects what each returned. It never touches a
// reading: everything the caller sends goes straight to the sub-generator.
Generator<double, double, std::vector<double>> per_group(std::vector<std::string> groups, Narrator* say) {
    std::vector<double> averages;
    for (const auto& g : groups) {
        const double avg = co_await yield_from(group_average(g, say));
        say->task_line("per_group", "yield_from(" + g + ") returned " + fmt(avg));
        averages.push_back(avg);
    }
    co_return averages;
}

// A chain `depth` generators deep: each delegates to the next, the innermost yields once.
// Each level returns one more than the level below it, so the outermost returns depth + 1.
Generator<int, void, long> chain(int depth) {
    if (depth == 0) {
        co_yield 42;
        co_return 1;
    }
    const long below = co_await yield_from(chain(depth - 1));
    co_return below + 1;
}
} // namespace

void demo_delegate(DemoContext& ctx) {
    auto& say = ctx.say;
    FrameWatch frames;
    say.heading("Values out, readings in, averages returned");
    {
        Generator<double, double, std::vector<double>> gen = per_group({"kitchen", "garden"}, &say);
        gen.traced(ctx.trace, "per_group");
        say.line("caller: next() -> " + fmt(*gen.next()) + "   (per_group started kitchen's sub-generator)");
        for (double v : {20.0, 22.0}) say.line("caller: send(" + fmt(v) + ") -> " + fmt(*gen.send(v)));
        say.line("caller: throw_into(BadReading) -> " + fmt(*gen.throw_into(BadReading{})));
        say.line("caller: send(24.00) -> " + fmt(*gen.send(24.0)));
        say.line("caller: next() -> " + fmt(*gen.next()) + "   (ends kitchen's group; garden's starts)");
        for (double v : {11.0, 13.0}) say.line("caller: send(" + fmt(v) + ") -> " + fmt(*gen.send(v)));
        const auto last = gen.next();
        say.line(std::string("caller: next() -> ") + (last ? fmt(*last) : "nothing: per_group has returned"));
        std::string all;
        for (double a : gen.result()) all += (all.empty() ? "" : ", ") + fmt(a);
        say.line("caller: result() -> [" + all + "]");
    }
    say.line("caller: " + frames.line());

    constexpr int depth = 100000;
    say.heading("A chain of " + std::to_string(depth) + " delegations");
    say.say("Each level awaits yield_from of the level below. A naive implementation would pass every "
            "value up through all the levels, and its stack would grow with the depth until it "
            "overflowed. Here the outermost Generator resumes the innermost frame directly, and each "
            "finished frame hands control to its parent by symmetric transfer: a jump, not a call.");
    {
        Generator<int, void, long> gen = chain(depth);
        const auto value = gen.next();
        say.line("caller: next() -> " + std::to_string(*value) + ", straight from the innermost frame; " +
                 frames.line());
        const auto end = gen.next();
        say.line(std::string("caller: next() -> ") + (end ? "a value?!" : "nothing") + "; result() -> " +
                 std::to_string(gen.result()) + " (each level added one on the way out)");
    }
    say.line("caller: " + frames.line() + " (every frame destroyed exactly once)");
    if (frames.alive() != 0) throw std::logic_error("delegation leaked frames");
    say.source("read YieldFrom::await_suspend() and PromiseBase::final_suspend() in generator.hpp");
}

} // namespace looplab::stage01
