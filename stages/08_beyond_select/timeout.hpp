/// @file
/// @brief timeout(delay, body): run a coroutine inside the current task, and turn the cancellation
/// that a deadline sends into a TimeoutError.
///
/// **What this file adds.** Python writes `async with asyncio.timeout(2): await body()`. C++ has no
/// `async with`, so here the block is a coroutine handed over: `co_await timeout(2s, body())`. The
/// body runs *inline*, in the task that awaits it (no new task), and the deadline works by the only
/// means a loop has to interrupt a coroutine: cancellation.
///  1. On entry, note how many cancel() requests the task already has (`cancelling()`), and schedule
///     a timer at the deadline (call_soon if the deadline has passed).
///  2. If the timer fires, it calls `task.cancel()`: the body gets CancelledError at whatever it awaits.
///  3. On exit the timer is cancelled. If it fired, one request is taken back with `uncancel()`. When
///     that leaves no more requests than on entry and the body ended with CancelledError, the
///     cancellation was ours: it becomes TimeoutError. If someone else cancelled the task too, the
///     count stays higher, and the CancelledError goes on up, as that someone asked.
/// That count is why Task has cancelling() and uncancel() at all (task.hpp): nested timeouts, and a
/// timeout inside a task that is cancelled from outside, each know whose cancellation they caught.
///
/// **A race it decides like asyncio 3.12+.** If the body's result arrives in the same iteration as
/// the deadline, the task is already marked cancelled when it wakes, so the body gets CancelledError
/// and timeout() raises TimeoutError, though the result was there. (wait_for() before 3.12 returned
/// the result in that case; it was rebuilt on timeout() in 3.12.)
///
/// **What it leaves out.** asyncio's Timeout object (reschedule() to move the deadline, expired()),
/// `timeout(None)`, and the TimeoutError chained inside exceptions other than CancelledError.
///
/// **What it costs.** A coroutine frame and one timer; no task, no extra Future.
#pragma once

#include <type_traits>
#include <utility>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "handle.hpp"
#include "looplab/clock.hpp"
#include "task.hpp"

namespace looplab::inline stage08 {

/// Runs `body` in the current task until loop time `when`; then cancels it and raises TimeoutError.
/// See the file comment. RuntimeError outside a task.
template <typename T>
Coroutine<T> timeout_at(Duration when, Coroutine<T> body) {
    EventLoop& loop = get_running_loop();
    const AnyTask task = current_task();
    if (!task) throw RuntimeError("timeout() should be used inside a task");
    const int cancelling_before = task.cancelling();
    bool expired = false;
    // The callback refers to `expired` in this frame: the guard below cancels the timer however the
    // frame ends, so it never fires into a frame that is gone.
    auto on_timeout = [task, &expired] {
        expired = true;
        task.cancel();
    };
    Handle timer = when <= loop.time() ? loop.call_soon(on_timeout, "timeout")
                                       : Handle(loop.call_at(when, on_timeout, "timeout"));
    struct CancelTimer {
        Handle& timer;
        ~CancelTimer() { timer.cancel(); }
    } guard{timer};

    try {
        if constexpr (std::is_void_v<T>) {
            co_await body;
            timer.cancel();
            if (expired) task.uncancel();
            co_return;
        } else {
            T value = co_await body;
            timer.cancel();
            if (expired) task.uncancel();   // the body caught our cancellation and returned anyway
            co_return value;
        }
    } catch (const CancelledError&) {
        timer.cancel();
        // Ours alone, or someone else's too? Only the count can tell (step 3 of the file comment).
        if (!(expired && task.uncancel() <= cancelling_before)) throw;
    } catch (...) {
        timer.cancel();
        if (expired) task.uncancel();
        throw;
    }
    throw TimeoutError("timeout: the deadline passed");
}

/// timeout_at(now + delay, body): see the file comment.
template <typename T>
Coroutine<T> timeout(Duration delay, Coroutine<T> body) {
    return timeout_at(get_running_loop().time() + delay, std::move(body));
}

/// timeout() with the delay in seconds.
template <typename T>
Coroutine<T> timeout(double delay_seconds, Coroutine<T> body) {
    return timeout(seconds(delay_seconds), std::move(body));
}

} // namespace looplab::stage08
