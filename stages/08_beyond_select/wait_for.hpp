/// @file
/// @brief wait_for(op, timeout): await an operation, but give up (and cancel it) after a timeout.
///
/// **What this file adds.** A deadline on any awaitable, built on timeout() (timeout.hpp) as asyncio
/// has built it since 3.12: `wait_for(op, t)` is `timeout(t, await op)`.
///  - a coroutine runs inline in the caller's task; a Task or Future is awaited as it is;
///  - the operation finishes in time: its result (or exception) is wait_for's;
///  - the deadline passes: the caller's task is cancelled, so the operation is cancelled where it
///    waits (a coroutine at its own await; an awaited Task through C30's propagation), and wait_for
///    **waits until it has actually finished** (its cleanup may itself await), then raises
///    TimeoutError. If the operation caught the cancellation and returned a value, that value is
///    returned instead (C39);
///  - the caller is cancelled: the operation is cancelled with it, and the cancellation goes on up
///    (C40), because the cancel() count says it was not the deadline's.
/// A timeout <= 0 does not wait at all: a finished operation gives its result, anything else is
/// started as a Task, cancelled, awaited, and TimeoutError is raised (C40).
///
/// **Which asyncio.** Python 3.11's wait_for wrapped every coroutine in a new Task and raced it against
/// a timer, so it differed from this one in two observable ways: `current_task()` inside the
/// operation was a new task, and a result arriving in the same iteration as the deadline was
/// returned (3.12+ raises TimeoutError: see timeout.hpp).
///
/// **A C++ detail that shapes the code.** C++ does not allow `co_await` inside a `catch` block, so
/// where asyncio's `_cancel_and_wait` awaits in an `except` clause, this one awaits after it.
///
/// **What it leaves out.** `wait()` and `timeout=None`.
///
/// **What it costs.** What timeout() costs, plus a small coroutine frame to await a Task or Future;
/// on the timeout path, the iterations the operation's cleanup takes.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "coroutine.hpp"
#include "ensure_future.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "looplab/clock.hpp"
#include "task.hpp"
#include "timeout.hpp"

namespace looplab::inline stage08 {

namespace detail {

/// Cancels `fut` and waits until it is done (asyncio's _cancel_and_wait). A cancellation of the
/// caller while waiting goes on up; `fut` was already asked to cancel.
inline Coroutine<void> cancel_and_wait(std::shared_ptr<FutureBase> fut) {
    EventLoop& loop = fut->loop();
    Future<void> waiter(loop, "wait_for: cancel and wait");
    const CallbackId id = fut->add_callback([w = waiter.state()](FutureBase&) {
        if (!w->done()) w->set_result(std::monostate{});
    }, "wait_for: release waiter");
    fut->cancel({});
    try {
        co_await waiter;
    } catch (...) {
        fut->remove_callback(id);
        throw;
    }
}

/// `co_await op` as a coroutine of its own, so timeout() can run it: a coroutine is that already.
template <typename T>
Coroutine<T> awaited(Coroutine<T> op) {
    return op;
}
/// A Future (or Task) awaited in a small coroutine frame.
template <typename T>
Coroutine<T> awaited(Future<T> op) {
    if constexpr (std::is_void_v<T>) {
        co_await op;
    } else {
        co_return co_await op;
    }
}
/// A Task is a Future.
template <typename T>
Coroutine<T> awaited(Task<T> op) {
    return awaited(Future<T>(op.state()));
}

} // namespace detail

/// Awaits `op` for at most `timeout`; see the file comment. Throws TimeoutError on timeout.
template <typename A>
Coroutine<await_result_t<A>> wait_for(A op, Duration timeout) {
    using T = await_result_t<A>;
    if (timeout <= Duration{0}) {
        Future<T> fut = ensure_future(std::move(op));
        if (fut.done()) co_return fut.result();
        co_await detail::cancel_and_wait(fut.state());
        if (fut.cancelled()) throw TimeoutError("wait_for: timed out (timeout <= 0)");
        co_return fut.result();   // it suppressed the cancellation and returned a value
    }
    co_return co_await looplab::timeout(timeout, detail::awaited(std::move(op)));
}

/// wait_for() with the timeout in seconds.
template <typename A>
Coroutine<await_result_t<A>> wait_for(A op, double timeout_seconds) {
    return wait_for(std::move(op), seconds(timeout_seconds));
}

} // namespace looplab::stage08
