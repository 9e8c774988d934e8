/// @file
/// @brief sleep(d): a Future completed by a timer; sleep(0): a bare yield to the loop.
///
/// **What this file adds.** The pattern of every library coroutine: make a Future, arrange for a
/// callback to complete it (here `call_later(d)`), await it. Cancelled, the `co_await` throws and the
/// timer is cancelled on the way out (C34). `sleep(0)` skips the timer heap: the next step is queued
/// behind every ready callback (C24), how a task lets the others run (the `selfish` demo).
///
/// **What it leaves out.** asyncio.sleep's `result` argument. **What it costs.** sleep(d): a frame, a
/// Future, a timer Handle, then a Handle for the wake-up. sleep(0): a frame and one Handle.
#pragma once

#include "task.hpp"

namespace looplab::inline stage08 {

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

/// Suspends the calling task for `delay` of loop time; `delay <= 0` is a bare yield (see the file comment).
inline Coroutine<void> sleep(Duration delay) {
    if (delay <= Duration{0}) {
        co_await detail::YieldToLoop{};
        co_return;
    }
    EventLoop& loop = get_running_loop();
    Future<void> wake(loop, "sleep(" + format_time(delay) + ")");   // traces say what a task waits on
    detail::TaskBase* sleeper = detail::running_task();              // the timer carries its name
    TimerHandle timer = loop.call_later(
        delay, [state = wake.state()] { if (!state->done()) state->set_result(std::monostate{}); },
        sleeper != nullptr ? sleeper->task_name() : std::string("sleep timer"));
    // However this frame ends (woken, cancelled, destroyed with its task), the timer must not fire (C34).
    struct CancelTimer {
        TimerHandle& timer;
        ~CancelTimer() { timer.cancel(); }
    } guard{timer};
    co_await wake;
}

/// sleep() in seconds, as Python writes it: `co_await sleep(0.5)`.
inline Coroutine<void> sleep(double secs) { return sleep(seconds(secs)); }
/// sleep() in whole seconds, so that `sleep(1)` picks this one over POSIX sleep(), which blocks the thread.
inline Coroutine<void> sleep(int secs) { return sleep(seconds(secs)); }

} // namespace looplab::stage08
