// Demo `await-vs-task`: awaiting a coroutine runs it inline and does not cede control to the loop;
// creating a task schedules it, and it runs only when the creator yields.
#include <string>

#include "demos/demos.hpp"

namespace looplab::inline stage05 {

namespace {

std::string iteration() { return "iteration " + std::to_string(get_running_loop().iterations()); }

Coroutine<void> child(std::string name, Narrator* say) {
    say->task_line(name, loop_now() + " " + iteration() + ": child runs");
    co_return;
}

Coroutine<void> nap(std::string name, double d, Narrator* say) {
    say->task_line(name, loop_now() + " sleeps " + std::to_string(d).substr(0, 3) + " s");
    co_await sleep(d);
    say->task_line(name, loop_now() + " woke");
}

Coroutine<void> main_inline(Narrator* say) {
    get_running_loop().call_soon([say] { say->task_line("callback", loop_now() + " " + iteration() + ": a callback queued earlier runs"); },
                                 "queued callback");
    say->task_line("main", loop_now() + " " + iteration() + ": co_await child()");
    co_await child("child", say);
    say->task_line("main", loop_now() + " " + iteration() + ": back from the child; the callback has not run yet");
    co_await sleep(0);
    say->task_line("main", loop_now() + " " + iteration() + ": after sleep(0), the loop went round once");
}

Coroutine<void> main_task(Narrator* say) {
    get_running_loop().call_soon([say] { say->task_line("callback", loop_now() + " " + iteration() + ": a callback queued earlier runs"); },
                                 "queued callback");
    say->task_line("main", loop_now() + " " + iteration() + ": create_task(child())");
    Task<void> t = create_task(child("task", say), "task");
    say->task_line("main", loop_now() + " " + iteration() + ": the task exists; its body has not run");
    co_await t;
    say->task_line("main", loop_now() + " " + iteration() + ": the task is done");
}

Coroutine<void> two_naps_awaited(Narrator* say) {
    co_await nap("nap 1", 1.0, say);
    co_await nap("nap 2", 1.0, say);
}

Coroutine<void> two_naps_tasks(Narrator* say) {
    Task<void> a = create_task(nap("nap 1", 1.0, say), "nap 1");
    Task<void> b = create_task(nap("nap 2", 1.0, say), "nap 2");
    co_await a;
    co_await b;
}

} // namespace

void demo_await_vs_task(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("co_await child(): a function call, not a scheduling point");
    say.say("Awaiting a coroutine jumps into it (symmetric transfer) and jumps back when it returns. The "
            "loop does not get control in between, so a callback queued before is still waiting.");
    run(main_inline(&say), ctx.clock, demo_run_options(ctx));
    say.source("read Coroutine::Awaiter in coroutine.hpp: await_suspend returns the child's handle");

    say.heading("create_task(child()): scheduled, runs when the creator yields");
    say.say("A task's first step is a call_soon callback: it runs in a later iteration, behind what was "
            "already queued, and only once the creator gives the loop back (here, by awaiting the task).");
    run(main_task(&say), ctx.clock, demo_run_options(ctx));
    say.source("read create_task() and TaskBase::step() in task.hpp");

    say.heading("What it means for time: two naps of 1 s");
    const Duration t0 = ctx.clock.now();
    run(two_naps_awaited(&say), ctx.clock, demo_run_options(ctx));
    say.line("awaited one after the other: " + format_time(ctx.clock.now() - t0));
    const Duration t1 = ctx.clock.now();
    run(two_naps_tasks(&say), ctx.clock, demo_run_options(ctx));
    say.line("as two tasks: " + format_time(ctx.clock.now() - t1));
    say.say("Awaiting makes things sequential; tasks make them concurrent. The count demo makes five "
            "tasks; stage 06's gather() makes them for you and collects their results.");
}

} // namespace looplab::stage05
