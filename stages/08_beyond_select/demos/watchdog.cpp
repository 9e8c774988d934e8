// Demo `watchdog`: stage 05's selfish task, seen from outside. A ticker wants to tick every 0.1 s; a
// worker makes a blocking call of 0.35 s in one step. The watchdog thread reports the stall while it
// happens, naming the task; debug mode (asyncio's way) reports the same step only after it returned.
#include <chrono>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "demos/demos.hpp"

namespace looplab::inline stage08 {

namespace {

Coroutine<void> ticker(Narrator* say) {
    for (int i = 1; i <= 6; ++i) {
        const Duration before = get_running_loop().time();
        co_await sleep(0.1);
        say->task_line("ticker", loop_now() + " tick " + std::to_string(i) + ": sleep(0.1) took " +
                                     format_time(get_running_loop().time() - before));
    }
}

// The blocking call is real time (std::this_thread::sleep_for stands for time.sleep, a blocking read, a
// long computation): a watchdog watches real time, whatever the loop's clock says.
Coroutine<void> worker(Narrator* say) {
    co_await sleep(0.15);
    say->task_line("worker", loop_now() + " makes a blocking call of 0.35 s, without an await");
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    say->task_line("worker", loop_now() + " returns");
}

Coroutine<void> scene(Narrator* say) {
    Task<void> t = create_task(ticker(say), "ticker");
    Task<void> w = create_task(worker(say), "worker");
    co_await t;
    co_await w;
}

} // namespace

void demo_watchdog(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const double threshold = opts.watchdog > 0 ? opts.watchdog : 0.1;
    say.heading("A watchdog names the task that holds the loop, while it holds it");
    say.say("A ticker ticks every 0.1 s; a worker makes a blocking call of 0.35 s in one step. A watchdog thread "
            "(threshold " + format_time(seconds(threshold)) + ", --watchdog SECONDS) looks at what the loop publishes "
            "and reports a callback that has run too long, while it runs. Debug mode is on too: it reports the same "
            "step after it has returned (on the real clock; the virtual clock does not see real time pass).");
    say.source("read watchdog.hpp, then run_handle() in event_loop.hpp");
    say.gap();
    RunOptions options = demo_run_options(ctx, opts, /*debug=*/true);
    options.watchdog = seconds(threshold);
    // The report comes from the watchdog's thread: it goes to standard error, one whole line at a time.
    options.watchdog_report = [](const std::string& line) { std::cerr << line << std::endl; };
    std::cout << std::flush;
    run(scene(&say), ctx.clock, options);
    say.gap();
    say.say("The watchdog's line came during the stall, once; the debug report only after it. Neither can stop a "
            "blocking call: the cure is an await, or to_thread() (demo to-thread).");
}

} // namespace looplab::stage08
