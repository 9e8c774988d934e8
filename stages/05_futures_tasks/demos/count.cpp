// Demo `count`: five counters as tasks that each sleep 1 s then 2 s: 3 s, not 15 s.
#include <string>
#include <vector>

#include "demos/demos.hpp"

namespace looplab::inline stage05 {

namespace {

Coroutine<void> count(std::string name, Narrator* say) {
    say->task_line(name, loop_now() + " One");
    co_await sleep(1);
    say->task_line(name, loop_now() + " Two");
    co_await sleep(2);
    say->task_line(name, loop_now() + " Three");
}

Coroutine<void> all_at_once(Narrator* say) {
    std::vector<Task<void>> counters;
    for (int i = 1; i <= 5; ++i) {
        const std::string name = "count " + std::to_string(i);
        counters.push_back(create_task(count(name, say), name));
    }
    // Awaiting them one after the other costs nothing extra: while main waits for the first, all
    // five run; by the time it finishes, the others are done too (stage 06's gather() says the same
    // in one call).
    for (Task<void>& counter : counters) co_await counter;
}

Coroutine<void> one_by_one(Narrator* say) {
    for (int i = 1; i <= 5; ++i) co_await count("count " + std::to_string(i), say);
}

} // namespace

void demo_count(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("Five counters, as tasks");
    say.say("Each counter says One, sleeps 1 s, says Two, sleeps 2 s, says Three. create_task() wraps "
            "each in a Task, so while one sleeps the others run: all five sleep at the same time.");
    const Duration t0 = ctx.clock.now();
    run(all_at_once(&say), ctx.clock, demo_run_options(ctx));
    say.line("as tasks: " + format_time(ctx.clock.now() - t0) + " for 5 x 3 s of sleeping");
    say.source("read create_task() and TaskBase::step() in task.hpp");

    say.heading("The same counters, awaited one after the other");
    const Duration t1 = ctx.clock.now();
    run(one_by_one(&say), ctx.clock, demo_run_options(ctx));
    say.line("one by one: " + format_time(ctx.clock.now() - t1));
}

} // namespace looplab::stage05
