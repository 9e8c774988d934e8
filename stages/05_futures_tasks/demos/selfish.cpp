// Demo `selfish`: a task that never awaits starves the others; debug mode reports the slow step;
// sleep(0) between chunks of work fixes it.
#include <string>

#include "demos/demos.hpp"

namespace looplab::inline stage05 {

namespace {

Coroutine<void> ticker(Narrator* say) {
    for (int i = 1; i <= 6; ++i) {
        const Duration before = get_running_loop().time();
        co_await sleep(0.1);
        const Duration took = get_running_loop().time() - before;
        say->task_line("ticker", loop_now() + " tick " + std::to_string(i) + ": sleep(0.1) took " + format_time(took));
    }
}

// 0.6 s of work in 12 chunks of 0.05 s; busy_for stands for CPU work (the virtual clock advances).
Coroutine<void> worker(Clock* clock, bool polite, Narrator* say) {
    co_await sleep(0.05);
    say->task_line("worker", loop_now() + " starts 0.6 s of work" + (polite ? ", with sleep(0) between chunks" : " in one go"));
    for (int chunk = 0; chunk < 12; ++chunk) {
        clock->busy_for(seconds(0.05));
        if (polite) co_await sleep(0);
    }
    say->task_line("worker", loop_now() + " done");
}

Coroutine<void> scene(Clock* clock, bool polite, Narrator* say) {
    Task<void> t = create_task(ticker(say), "ticker");
    Task<void> w = create_task(worker(clock, polite, say), "worker");
    co_await t;
    co_await w;
}

} // namespace

void demo_selfish(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("A selfish task: 0.6 s of work without an await");
    say.say("A ticker wants to tick every 0.1 s. A worker does 0.6 s of work in one step. Nothing can "
            "interrupt a step: the loop is one thread, and control returns only at an await. Debug mode "
            "times every callback and task step and reports those of 0.1 s or more.");
    run(scene(&ctx.clock, false, &say), ctx.clock, demo_run_options(ctx, /*debug=*/true));
    say.source("read run_handle() in event_loop.hpp: the slow-callback report");

    say.heading("The fix: sleep(0) between chunks of work");
    say.say("sleep(0) is a bare yield: the task's next step queues behind whatever is ready, so the ticker "
            "gets its turn between chunks. No step is slow now. A tick still waits for the chunk that is running "
            "when its timer falls due, and for one more while its wake-up callback takes its turn: "
            "a 0.1 s sleep takes up to 0.2 s, instead of 0.65 s.");
    run(scene(&ctx.clock, true, &say), ctx.clock, demo_run_options(ctx, /*debug=*/true));
}

} // namespace looplab::stage05
