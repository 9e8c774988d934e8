/// @file
/// @brief sleep(d): a Future completed by a timer; sleep(0): a bare yield to the loop.
///
/// **What this file adds.** The first library coroutine, and the pattern of all the others: make a
/// Future, arrange for a callback to complete it (here `call_later(d)`), await it. While the task
/// waits, the loop runs everyone else. If the sleeping task is cancelled, the Future is cancelled, the
/// `co_await` throws CancelledError, and on the way out the timer is cancelled too, so it never fires
/// into a dead future (C34).
///
/// `sleep(0)` does not touch the timer heap at all: it is a bare yield, the way a task says "let the
/// others run, then continue" (C24). Its next step is queued behind every callback already ready. The
/// `selfish` demo uses it to stop one task from starving the others.
///
/// **What it leaves out.** asyncio.sleep's `result` argument.
///
/// **What it costs.** sleep(d): a coroutine frame, a Future and a timer (three allocations) and two loop
/// iterations' worth of bookkeeping. sleep(0): a frame and one ready-queue entry.
#pragma once

#include <coroutine>
#include <string>

#include "coroutine.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "looplab/clock.hpp"
#include "task.hpp"

namespace looplab::inline stage05 {

namespace detail {
/// The awaiter of a bare yield: the running task's next step goes to the back of the ready queue.
struct YieldToLoop {
    TaskBase* task = nullptr;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> waiting) {
        task = running_task();
        if (task == nullptr) throw RuntimeError("sleep(0) outside a task: only a task can yield to the loop");
        task->suspend_yield(waiting);
    }
    void await_resume() const { task->deliver_pending_cancel(); }
};

/// sleep(0): a coroutine of its own, so that its frame holds only the awaiter. (A coroutine's frame
/// holds every local of every path through it; the timer path below needs a Future, a Handle and a
/// name, which a bare yield would otherwise allocate room for each time.)
inline Coroutine<void> yield_to_loop() { co_await YieldToLoop{}; }

/// sleep(d) for d > 0: a Future completed by a timer.
inline Coroutine<void> sleep_on_timer(Duration delay) {
    EventLoop& loop = get_running_loop();
    // The future's name shows in traces ("waiting on sleep(0.500s)"); formatting it costs more than
    // the rest of sleep(), so it is only made when someone is tracing.
    Future<void> wake(loop, loop.tracing() ? "sleep(" + format_time(delay) + ")" : std::string("sleep"));
    // The timer carries the sleeping task's name, so a trace shows whose timer fell due.
    TaskBase* sleeper = running_task();
    // The callback holds a plain pointer to the future (small enough for std::function to store
    // without an allocation): the guard below cancels the timer however this frame ends, so the timer
    // never fires into a future that is gone.
    TimerHandle timer = loop.call_later(
        delay, [state = wake.state().get()] {
            if (!state->done()) state->set_result(std::monostate{});
        },
        sleeper != nullptr ? sleeper->task_name() : std::string("sleep timer"));
    // Cancelled while asleep (an exception), or the frame destroyed with its task: the timer must not
    // fire later (C34). Cancelling a timer that already fired does nothing.
    struct CancelTimer {
        TimerHandle& timer;
        ~CancelTimer() { timer.cancel(); }
    } guard{timer};
    co_await wake;
}
} // namespace detail

/// Suspends the calling task for `delay` of loop time; `delay <= 0` is a bare yield (see the file
/// comment). Cancelling the sleeping task cancels the timer.
inline Coroutine<void> sleep(Duration delay) {
    if (delay <= Duration{0}) return detail::yield_to_loop();
    return detail::sleep_on_timer(delay);
}

/// sleep() in seconds, as Python writes it: `co_await sleep(0.5)`.
inline Coroutine<void> sleep(double secs) { return sleep(seconds(secs)); }
/// sleep() in whole seconds. It exists so that `sleep(0)` and `sleep(1)` pick looplab's sleep over
/// the POSIX sleep() of <unistd.h> (which takes an unsigned int), which would block the whole thread.
inline Coroutine<void> sleep(int secs) { return sleep(seconds(secs)); }

} // namespace looplab::stage05
