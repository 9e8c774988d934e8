// Demo `sleepy`: five coroutines each sleep 0.1 s five times. A program that slept for real in each
// of them, one after the other, would take 2.5 s; the loop takes 0.5 s, because while any coroutine
// waits, the loop is free to run the others, and it does all the waiting in one place.
#include <string>

#include "demos/demos.hpp"
#include "loop.hpp"

namespace looplab::inline stage02 {

namespace {
// One sleeper. Everything it needs comes in by value (a pointer is a value too): a coroutine's
// parameters are copied into its frame, which outlives this call by a long way.
Coroutine<> sleeper(std::string name, int steps, Duration delay, const Clock* clock, Narrator* say) {
    const Duration start = clock->now();
    for (int step = 1; step <= steps; ++step) {
        // Not a sleep: a request. The loop files it and resumes us when the clock reads `until`.
        // An instant on a fixed schedule, not "now + delay": waking a little late (the real clock
        // always does) then never pushes the later steps later.
        co_await Sleep{start + delay * step};
        say->task_line(name, "step " + std::to_string(step) + " of " + std::to_string(steps) + " at " +
                                 format_time(clock->now()));
    }
}
} // namespace

void demo_sleepy(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const int tasks = opts.tasks > 0 ? opts.tasks : 5;
    const int steps = opts.steps > 0 ? opts.steps : 5;
    const Duration delay = seconds(opts.delay);

    say.heading(std::to_string(tasks) + " coroutines, " + std::to_string(steps) + " sleeps of " +
                format_time(delay) + " each, one thread");
    say.say("Each coroutine loops: co_await Sleep{start + step * delay}, then print. co_await does not sleep: it "
            "hands the Sleep event to the loop and gives the thread back. The loop keeps every sleeper "
            "in a queue ordered by wake-up time (--queue " + std::string(to_string(opts.queue)) +
            "), waits until the earliest one is due, and resumes it. Nobody is blocked while another "
            "waits, so all the sleeps happen at the same time.");
    say.source("read co_await Sleep in coroutine.hpp, then SleepLoop::run_once() in loop.hpp");
    say.gap();

    FrameWatch frames;
    SleepLoop loop(ctx.clock, ctx.trace, opts.queue);
    for (int i = 1; i <= tasks; ++i)
        loop.spawn("task " + std::to_string(i), sleeper("task " + std::to_string(i), steps, delay, &ctx.clock, &say));
    const Duration start = ctx.clock.now();
    loop.run();
    const Duration elapsed = ctx.clock.now() - start;

    say.gap();
    say.line("elapsed " + format_time(elapsed) + " on the " + std::string(ctx.clock.name()) + " clock; the " +
             std::to_string(tasks * steps) + " sleeps add up to " + format_time(delay * (tasks * steps)) +
             " (" + std::to_string(loop.stats().resumes) + " resumes, " + frames.line() + ")");
    say.say(ctx.clock.is_virtual()
                ? "The virtual clock jumped from deadline to deadline instead of sleeping, so this ran "
                  "instantly and printed exactly what the real clock prints, give or take the "
                  "milliseconds a real machine adds."
                : "On the real clock each deadline is met a little late (the thread wakes up, then the "
                  "loop runs), usually by well under a millisecond, so a step rarely prints a "
                  "millisecond past its multiple of the delay. Try --clock virtual: the same lines, at "
                  "once.");
}

} // namespace looplab::stage02
