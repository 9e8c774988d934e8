/// @file
/// @brief shield(op): protect an operation from the cancellation of whoever awaits it.
///
/// **What this file adds.** Cancellation travels down: cancelling a task cancels what it awaits. Some
/// work must not be cut short by that (a commit, a reply already half sent). `co_await shield(op)`
/// starts `op` as a Task and gives the caller a *separate* outer Future that mirrors it. Cancelling
/// the caller cancels only the outer Future: the caller sees CancelledError at once, while the inner
/// operation keeps running to its end (C41). Cancelling the inner operation directly still cancels it,
/// and then the outer Future is cancelled too. Once the caller has gone, nobody awaits the inner
/// operation: if it fails later, its exception is reported as never retrieved, as any unawaited
/// task's is (C54); keep a handle to it and look at it if that failure matters.
///
/// **What it leaves out.** Nothing of asyncio's shield; but note what shield cannot do: if the loop
/// is closed, the shielded task is destroyed with it like any other pending task.
///
/// **What it costs.** One outer Future, a done-callback on each of the two.
#pragma once

#include <memory>
#include <utility>

#include "event_loop.hpp"
#include "future.hpp"
#include "task.hpp"

namespace looplab::inline stage08 {

/// Returns a Future that mirrors `op` but whose cancellation leaves `op` running (see the file comment).
template <typename A>
Future<await_result_t<A>> shield(A op) {
    using T = await_result_t<A>;
    Future<T> inner = ensure_future(std::move(op));
    if (inner.done()) return inner;   // nothing left to protect
    Future<T> outer(inner.state()->loop(), "shield");
    const CallbackId to_outer = inner.add_done_callback([outer](const Future<T>& in) {
        if (outer.cancelled()) {
            // The outer was cancelled but its callback below has not run yet: the inner ended in
            // the same iteration. Its exception counts as retrieved, as in asyncio.
            if (!in.cancelled()) in.state()->mark_retrieved();
            return;
        }
        if (in.cancelled()) {
            outer.cancel();
        } else if (auto e = in.exception()) {
            outer.set_exception(e);
        } else if constexpr (std::is_void_v<T>) {
            outer.set_result();
        } else {
            outer.set_result(in.result());
        }
    }, "shield: inner done");
    // C54: once the outer is done (the caller was cancelled), nobody listens to the inner any more:
    // its callback to the outer goes, so an exception the inner raises later is reported as never
    // retrieved instead of vanishing. Weakly: the inner already holds the outer through its
    // callback, and a strong link back would be a cycle.
    outer.add_done_callback([weak_inner = std::weak_ptr(inner.state()), to_outer](const Future<T>&) {
        if (auto in = weak_inner.lock(); in && !in->done()) in->remove_callback(to_outer);
    }, "shield: outer done");
    return outer;
}

} // namespace looplab::stage08
