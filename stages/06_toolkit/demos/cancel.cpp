// Demo `cancel`: a task cancelled while it waits; one that catches the cancellation, cleans up (and
// awaits while doing so) and lets it go on; and wait_for timing out.
#include <string>

#include "demos/demos.hpp"

namespace looplab::inline stage06 {

namespace {

Coroutine<void> dreamer(Narrator* say) {
    say->task_line("dreamer", loop_now() + " going to sleep for 10 s");
    co_await sleep(10);
    say->task_line("dreamer", loop_now() + " woke (never printed)");
}

Coroutine<void> tidy(Narrator* say) {
    say->task_line("tidy", loop_now() + " working for 10 s");
    bool cancelled = false;
    try {
        co_await sleep(10);
    } catch (const CancelledError& e) {
        say->task_line("tidy", loop_now() + " caught CancelledError (\"" + e.message() + "\"): cleaning up");
        cancelled = true;
    }
    if (cancelled) {
        co_await sleep(0.5);   // cleanup may await (not inside the catch: C++ forbids co_await there)
        say->task_line("tidy", loop_now() + " clean; letting the cancellation go on");
        throw CancelledError("cleaned up");
    }
}

Coroutine<int> slow_answer(Narrator* say) {
    try {
        co_await sleep(5);
    } catch (const CancelledError&) {
        say->task_line("slow answer", loop_now() + " cancelled by wait_for");
        throw;
    }
    co_return 42;
}

Coroutine<void> main_cancel(Narrator* say) {
    Task<void> d = create_task(dreamer(say), "dreamer");
    co_await sleep(1);
    const bool accepted = d.cancel();   // its own statement: the operands of + have no fixed order
    say->task_line("main", loop_now() + " cancel(dreamer) -> " + (accepted ? "true" : "false") +
                               "; cancelling() = " + std::to_string(d.cancelling()));
    try {
        co_await d;
    } catch (const CancelledError&) {
        say->task_line("main", loop_now() + " awaiting dreamer raised CancelledError; cancelled() = " +
                                   (d.cancelled() ? "true" : "false"));
    }

    Task<void> t = create_task(tidy(say), "tidy");
    co_await sleep(1);
    t.cancel("shutting down");
    say->task_line("main", loop_now() + " asked tidy to cancel; it is not done yet: done() = " + (t.done() ? "true" : "false"));
    try {
        co_await t;
    } catch (const CancelledError& e) {
        say->task_line("main", loop_now() + " tidy ended cancelled (\"" + e.message() + "\")");
    }
    say->task_line("main", loop_now() + " cancel() on a finished task -> " + (t.cancel() ? "true" : "false"));

    say->task_line("main", loop_now() + " wait_for(slow_answer(), 2 s)");
    const Duration started = get_running_loop().time();
    try {
        const int v = co_await wait_for(slow_answer(say), 2.0);
        say->task_line("main", "got " + std::to_string(v));
    } catch (const TimeoutError&) {
        // The elapsed time, not e.what(): asyncio's TimeoutError carries no message, and the Python
        // twin (python/cancel.py) prints this same line.
        say->task_line("main", loop_now() + " TimeoutError after " + format_time(get_running_loop().time() - started));
    }
}

} // namespace

void demo_cancel(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("Cancellation is a request, delivered at an await");
    say.say("cancel() on a waiting task cancels the Future it waits for; the task wakes on a later "
            "iteration and CancelledError is thrown at its co_await. The task may catch it, clean up "
            "(even await), and let it go on; it ends cancelled only if the exception escapes.");
    run(main_cancel(&say), ctx.clock, demo_run_options(ctx));
    say.source("read TaskBase::request_cancel() and step() in task.hpp, and wait_for.hpp");
    say.say("CancelledError does not derive from std::exception, so `catch (const std::exception&)` "
            "cannot swallow a cancellation by accident (errors.hpp says why).");
}

} // namespace looplab::stage06
