// Demo `nested`: coroutines awaiting coroutines. sleep() is a helper coroutine that awaits two
// half_sleep() coroutines, each of which awaits one Sleep event; the loop never hears of either
// helper, only of the Sleep events they pass up. Then what a helper ends with: its return value and
// its exception go back up one level, to the coroutine that awaits it, not to the loop. Last, an exception nobody
// catches stops the loop, naming the task, and every frame is still destroyed.
#include <stdexcept>
#include <string>

#include "demos/demos.hpp"
#include "loop.hpp"

namespace looplab::inline stage02 {

namespace {
Coroutine<> napper(std::string name, int naps, Duration delay, const Clock* clock, Narrator* say) {
    for (int nap = 1; nap <= naps; ++nap) {
        co_await sleep(clock, delay);   // a coroutine awaiting a coroutine awaiting a coroutine
        say->task_line(name, "nap " + std::to_string(nap) + " over at " + format_time(clock->now()));
    }
}

// A helper that computes something while it waits: it returns a value to whoever awaits it.
Coroutine<int> count_sheep(int sheep, Duration per_sheep, const Clock* clock) {
    int counted = 0;
    for (int i = 0; i < sheep; ++i) {
        co_await Sleep{clock->now() + per_sheep};
        counted += 1;
    }
    co_return counted;
}

// A helper that fails after a while.
Coroutine<int> unreliable_alarm(Duration after, const Clock* clock) {
    co_await Sleep{clock->now() + after};
    throw std::runtime_error("the alarm clock is broken");
}

Coroutine<> sleeper(std::string name, Duration delay, const Clock* clock, Narrator* say) {
    const int sheep = co_await count_sheep(3, delay, clock);
    say->task_line(name, "count_sheep returned " + std::to_string(sheep) + " at " + format_time(clock->now()));
    try {
        co_await unreliable_alarm(delay, clock);
    } catch (const std::runtime_error& e) {
        say->task_line(name, std::string("caught \"") + e.what() + "\" from unreliable_alarm at " +
                                 format_time(clock->now()));
    }
}

Coroutine<> careless(std::string name, Duration delay, const Clock* clock, Narrator* say) {
    say->task_line(name, "awaits unreliable_alarm and does not catch");
    co_await unreliable_alarm(delay, clock);
}

Coroutine<> bystander(std::string name, int steps, Duration delay, const Clock* clock, Narrator* say) {
    for (int step = 1; step <= steps; ++step) {
        co_await sleep(clock, delay);
        say->task_line(name, "step " + std::to_string(step) + " at " + format_time(clock->now()));
    }
}
} // namespace

void demo_nested(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const Duration delay = seconds(opts.delay);
    // This demo is about the trace, so it turns the line log on itself (unless --trace already did).
    if (!ctx.options.trace) ctx.trace.log_to(&say);

    say.heading("Events pass up: sleep(" + format_time(delay * 2) + ") is two half sleeps");
    say.say("napper awaits sleep(), which awaits half_sleep() twice, which awaits a Sleep event. Each "
            "Sleep goes up two frames unchanged and reaches the loop, which only ever sees Sleep: the "
            "trace says how deep it came from. When half_sleep ends, it jumps back into sleep() by "
            "symmetric transfer, without asking the loop.");
    say.source("read Coroutine::Awaiter and PromiseBase::final_suspend() in coroutine.hpp");
    say.gap();
    FrameWatch frames;
    {
        SleepLoop loop(ctx.clock, ctx.trace, opts.queue);
        loop.spawn("napper", napper("napper", 2, delay * 2, &ctx.clock, &say));
        loop.run();
    }
    say.line("loop done; " + frames.line());

    say.heading("Results and exceptions go back to the awaiting coroutine");
    say.say("count_sheep() returns a value to the coroutine that awaits it, and an exception escaping "
            "unreliable_alarm() is raised at the co_await in the awaiting coroutine, which catches "
            "it. Python's await does both.");
    say.gap();
    {
        SleepLoop loop(ctx.clock, ctx.trace, opts.queue);
        loop.spawn("sleeper", sleeper("sleeper", delay, &ctx.clock, &say));
        loop.run();
    }
    say.line("loop done; " + frames.line());

    say.heading("An exception nobody catches stops the loop");
    say.say("careless lets the exception escape. run() stops at once and throws a TaskError that names "
            "the task; bystander, halfway through its steps, is never resumed again, and destroying the "
            "loop destroys its frames (three of them: bystander, sleep, half_sleep).");
    say.gap();
    {
        SleepLoop loop(ctx.clock, ctx.trace, opts.queue);
        loop.spawn("careless", careless("careless", delay * 3, &ctx.clock, &say));
        loop.spawn("bystander", bystander("bystander", 5, delay, &ctx.clock, &say));
        try {
            loop.run();
            say.line("run() returned?! It should have thrown.");
        } catch (const TaskError& e) {
            say.line(std::string("run() threw TaskError: ") + e.what());
        }
        say.line("before the loop is destroyed: " + frames.line());
    }
    say.line("after: " + frames.line());
    if (frames.alive() != 0) throw std::logic_error("the nested demo leaked coroutine frames");
}

} // namespace looplab::stage02
