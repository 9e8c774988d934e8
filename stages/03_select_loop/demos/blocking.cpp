// Demo `blocking`: three tickers and one coroutine that makes a blocking call of 1 s. The loop has
// one thread; while the blocker holds it, nobody else can run, and every tick that falls due in
// that second runs late, all at once, when the blocker gives the thread back.
#include <string>

#include "demos/demos.hpp"
#include "loop.hpp"

namespace looplab::inline stage03 {

namespace {
// Ticks on a fixed schedule (start + k * delay), and says how late each tick ran. The absolute
// deadlines are why the late ticks come in a burst: asyncio's relative sleep(delay) would shift
// them instead.
Coroutine<> ticker(std::string name, int steps, Duration delay, const Clock* clock, Narrator* say) {
    const Duration start = clock->now();
    for (int step = 1; step <= steps; ++step) {
        const Duration due = start + delay * step;
        co_await Sleep{due};
        const Duration late = clock->now() - due;
        say->task_line(name, "tick " + std::to_string(step) + " due " + format_time(due) + ", ran at " +
                                 format_time(clock->now()) +
                                 (late > seconds(0.05) ? "  <- " + format_time(late) + " late" : ""));
    }
}

Coroutine<> blocker(std::string name, Duration after, Duration block, Clock* clock, Narrator* say) {
    co_await Sleep{clock->now() + after};
    say->task_line(name, "at " + format_time(clock->now()) + " makes a blocking call of " + format_time(block));
    // The stand-in for time.sleep(1), a blocking read, a long computation: the thread is busy and
    // there is no co_await, so the loop cannot run anyone else until it returns.
    clock->busy_for(block);
    say->task_line(name, "returns at " + format_time(clock->now()));
}
} // namespace

void demo_blocking(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const int tickers = opts.tasks > 0 ? opts.tasks : 3;
    const int steps = opts.steps > 0 ? opts.steps : 8;
    const Duration delay = seconds(opts.delay);
    const Duration nap = seconds(opts.delay * 2.5);   // between two ticks, so the picture is clear

    say.heading("One blocking call, and everybody waits");
    say.say(std::to_string(tickers) + " tickers tick every " + format_time(delay) + ". The blocker sleeps properly for " +
            format_time(nap) + ", then makes a blocking call of 1 s (here Clock::busy_for, which "
            "stands for time.sleep(1), a blocking read or a long computation). Run it with --timeline.");
    say.source("read blocker() in demos/blocking.cpp");
    say.gap();

    SelectLoop loop(ctx.clock, ctx.trace, opts.queue);
    for (int i = 1; i <= tickers; ++i)
        loop.spawn("ticker " + std::to_string(i),
                   ticker("ticker " + std::to_string(i), steps, delay, &ctx.clock, &say));
    loop.spawn("blocker", blocker("blocker", nap, seconds(1), &ctx.clock, &say));
    loop.run();

    say.gap();
    say.say("Every tick due during that second ran late, in a burst, the moment the blocker returned. "
            "The burst comes from the tickers' absolute deadlines (start + step x delay): every tick that "
            "fell due meanwhile is due at once, so they all catch up together. asyncio's "
            "sleep(delay) is relative (now + delay): there each ticker would run once, late, and its "
            "later ticks would keep their spacing, shifted, with no burst. "
            "Either way nobody ran during that second. That is what cooperative multitasking means: a "
            "coroutine runs until it awaits, and "
            "nothing can take the thread away from it, not the loop, not the timers, not select(). "
            "The loop is only ever as responsive as its slowest step between two co_awaits. So in a "
            "coroutine you await (Sleep, not a sleeping call; Read, not a blocking read), and work that "
            "must block or compute for long goes to a thread (asyncio's to_thread); a later stage adds "
            "a watchdog that names the coroutine that held the loop.");
}

} // namespace looplab::stage03
