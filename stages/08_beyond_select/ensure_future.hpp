/// @file
/// @brief ensure_future() and await_result_t: any awaitable as a Future, and what awaiting it gives.
///
/// **What this file adds.** The toolkit's combinators (gather, shield, wait_for) accept a Future, a
/// Task or a bare coroutine. ensure_future() turns each into a Future, wrapping a coroutine in a new
/// Task on the running loop, as asyncio.ensure_future() does; await_result_t names the result type.
/// Only the toolkit needs them, so they are new in stage 06. **What it costs.** A Task for a coroutine; nothing for the others.
#pragma once

#include <type_traits>
#include <utility>

#include "coroutine.hpp"
#include "future.hpp"
#include "task.hpp"

namespace looplab::inline stage08 {

/// What awaiting an `A` produces: T for Coroutine<T>, Task<T> and Future<T>.
template <typename A>
struct AwaitResult;
/// @cond
template <typename T>
struct AwaitResult<Coroutine<T>> {
    using type = T;
};
template <typename T>
struct AwaitResult<Future<T>> {
    using type = T;
};
template <typename T>
struct AwaitResult<Task<T>> {
    using type = T;
};
/// @endcond
/// Shorthand for AwaitResult<A>::type.
template <typename A>
using await_result_t = typename AwaitResult<std::decay_t<A>>::type;

/// A Future for any awaitable: a Future or Task as it is, a coroutine wrapped in a new Task on the
/// running loop (asyncio.ensure_future).
template <typename T>
Future<T> ensure_future(Future<T> f) {
    return f;
}
/// A Task is already a Future.
template <typename T>
Future<T> ensure_future(Task<T> t) {
    return Future<T>(t.state());
}
/// A coroutine becomes a Task on the running loop.
template <typename T>
Future<T> ensure_future(Coroutine<T> c) {
    return Future<T>(create_task(std::move(c)).state());
}

} // namespace looplab::stage08
