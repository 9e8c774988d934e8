/// @file
/// @brief shield(op): protect an operation from the cancellation of whoever awaits it.
///
/// **What this file adds.** Cancellation travels down: cancelling a task cancels what it awaits. Some
/// work must not be cut short by that (a commit, a reply already half sent). `co_await shield(op)`
/// starts `op` as a Task and gives the caller a *separate* outer Future that mirrors it. Cancelling
/// the caller cancels only the outer Future: the caller sees CancelledError at once, while the inner
/// operation keeps running to its end (C41). Cancelling the inner operation directly still cancels it,
/// and then the outer Future is cancelled too.
///
/// **What it leaves out.** Nothing of asyncio's shield; but note what shield cannot do: if the loop
/// is closed, the shielded task is destroyed with it like any other pending task.
///
/// **What it costs.** One outer Future and a done-callback on the inner one.
#pragma once

#include <memory>
#include <utility>

#include "event_loop.hpp"
#include "future.hpp"
#include "task.hpp"

namespace looplab::inline stage05 {

/// Returns a Future that mirrors `op` but whose cancellation leaves `op` running (see the file comment).
template <typename A>
Future<await_result_t<A>> shield(A op) {
    using T = await_result_t<A>;
    Future<T> inner = ensure_future(std::move(op));
    if (inner.done()) return inner;   // nothing left to protect
    Future<T> outer(inner.state()->loop(), "shield");
    inner.add_done_callback([outer](const Future<T>& in) {
        if (outer.cancelled()) {
            if (!in.cancelled()) in.state()->mark_retrieved();   // the caller left; don't report twice
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
    return outer;
}

} // namespace looplab::stage05
