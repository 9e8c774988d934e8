/// @file
/// @brief wait_for(op, timeout): await an operation, but give up (and cancel it) after a timeout.
///
/// **What this file adds.** A deadline on any awaitable. wait_for starts the operation as a Task (a
/// coroutine) or takes the Future it is given, sets a timer, and waits for whichever comes first:
///  - the operation finishes: its result (or exception) is wait_for's; the timer is cancelled;
///  - the timer fires: the operation is cancelled and wait_for **waits until it has actually
///    finished** (its cleanup may itself await), then raises TimeoutError. If the operation caught
///    the cancellation and returned a value anyway, that value is returned instead (C39);
///  - the caller is cancelled: the operation is cancelled too, awaited, and the cancellation goes on
///    up (C40).
/// A timeout <= 0 does not wait at all: a finished operation gives its result, anything else is
/// cancelled, awaited, and TimeoutError is raised (C40).
///
/// **A C++ detail that shapes the code.** C++ does not allow `co_await` inside a `catch` block, so
/// where asyncio's wait_for awaits the cancelled operation in its `except CancelledError:` clause,
/// this one notes the cancellation in a flag and awaits after the `catch`.
///
/// **What it leaves out.** `asyncio.timeout()` (the context-manager form of 3.11+) and `wait()`.
///
/// **What it costs.** A Task (for a coroutine), a waiter Future, a timer, and one extra loop iteration
/// on the timeout path while the operation finishes its cleanup.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "looplab/clock.hpp"
#include "task.hpp"

namespace looplab::inline stage05 {

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

} // namespace detail

/// Awaits `op` for at most `timeout`; see the file comment. Throws TimeoutError on timeout.
template <typename A>
Coroutine<await_result_t<A>> wait_for(A op, Duration timeout) {
    using T = await_result_t<A>;
    EventLoop& loop = get_running_loop();
    Future<T> fut = ensure_future(std::move(op));
    std::shared_ptr<detail::FutureBase> base = fut.state();

    if (timeout <= Duration{0}) {
        if (fut.done()) co_return fut.result();
        co_await detail::cancel_and_wait(base);
        if (fut.cancelled()) throw TimeoutError("wait_for: timed out (timeout <= 0)");
        co_return fut.result();   // it suppressed the cancellation and returned a value
    }

    Future<void> waiter(loop, "wait_for");
    auto release = [w = waiter.state()](detail::FutureBase&) {
        if (!w->done()) w->set_result(std::monostate{});
    };
    TimerHandle timer = loop.call_later(timeout, [w = waiter.state()] {
        if (!w->done()) w->set_result(std::monostate{});
    }, "wait_for timeout");
    const CallbackId id = base->add_callback(release, "wait_for: operation done");

    bool caller_cancelled = false;
    try {
        co_await waiter;
    } catch (const CancelledError&) {
        caller_cancelled = true;   // C40: cancel the operation too, below (no co_await in a catch)
    }
    timer.cancel();
    if (caller_cancelled) {
        if (fut.done()) co_return fut.result();
        base->remove_callback(id);
        co_await detail::cancel_and_wait(base);
        throw CancelledError();
    }
    if (fut.done()) co_return fut.result();
    base->remove_callback(id);
    co_await detail::cancel_and_wait(base);   // C39: wait until it has really finished
    if (fut.cancelled()) throw TimeoutError("wait_for: timed out after " + format_time(timeout));
    co_return fut.result();
}

/// wait_for() with the timeout in seconds.
template <typename A>
Coroutine<await_result_t<A>> wait_for(A op, double timeout_seconds) {
    return wait_for(std::move(op), seconds(timeout_seconds));
}

} // namespace looplab::stage05
