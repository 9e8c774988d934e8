/// @file
/// @brief sleep(d): a Future completed by a timer; sleep(0): a bare yield to the loop.
///
/// **What this file adds.** The first library coroutine, and the pattern of all the others: make a
/// Future, arrange for a callback to complete it (here `call_later(d)`), await it. While the task
/// waits, the loop runs everyone else. If the sleeping task is cancelled, the Future is cancelled, the
/// `co_await` throws CancelledError, and on the way out the timer is cancelled too, so it never fires
/// into a dead future (C34).
///
/// `sleep(0)` does not touch the timer heap: it is a bare yield, the way a task says "let the others
/// run, then continue" (C24). Its next step is queued behind every callback already ready. The
/// `selfish` demo uses it to stop one task from starving the others.
///
/// **What it leaves out.** asyncio.sleep's `result` argument.
///
/// **What it costs.** sleep(d): a coroutine frame, a Future, a timer Handle and the future's name,
/// then a Handle for the task's wake-up. sleep(0): a frame and one Handle for the next step.
#pragma once

#include <coroutine>
#include <string>

#include "coroutine.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "looplab/clock.hpp"
#include "task.hpp"

namespace looplab::inline stage07 {

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
    void await_resume() const { task->deliver_pending_cancel(nullptr); }
};
} // namespace detail

/// Suspends the calling task for `delay` of loop time; `delay <= 0` is a bare yield (see the file
/// comment). Cancelling the sleeping task cancels the timer.
inline Coroutine<void> sleep(Duration delay) {
    if (delay <= Duration{0}) {
        co_await detail::YieldToLoop{};
        co_return;
    }
    EventLoop& loop = get_running_loop();
    Future<void> wake(loop, "sleep(" + format_time(delay) + ")");   // traces say what a task waits on
    detail::TaskBase* sleeper = detail::running_task();              // the timer carries its name
    TimerHandle timer = loop.call_later(
        delay, [state = wake.state()] {
            if (!state->done()) state->set_result(std::monostate{});
        },
        sleeper != nullptr ? sleeper->task_name() : std::string("sleep timer"));
    // However this frame ends (woken, cancelled, or destroyed with its task), the timer must not fire
    // later (C34). Cancelling a timer that already fired does nothing.
    struct CancelTimer {
        TimerHandle& timer;
        ~CancelTimer() { timer.cancel(); }
    } guard{timer};
    co_await wake;
}

/// sleep() in seconds, as Python writes it: `co_await sleep(0.5)`.
inline Coroutine<void> sleep(double secs) { return sleep(seconds(secs)); }
/// sleep() in whole seconds. It exists so that `sleep(0)` and `sleep(1)` pick looplab's sleep over
/// the POSIX sleep() of <unistd.h> (which takes an unsigned int), which would block the whole thread.
inline Coroutine<void> sleep(int secs) { return sleep(seconds(secs)); }

} // namespace looplab::stage07
