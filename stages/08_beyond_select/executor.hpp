/// @file
/// @brief run_in_executor() and to_thread(): a blocking call on a worker thread, awaited like any Future.
///
/// **What this file adds.** The bridge between the loop's one thread and the pool's workers:
///
/// ```
/// loop thread:    run_in_executor(fn) --> Future (pending), ++jobs --> co_await it ... resumes
///                        | submit(job)                                   ^ set_result, --jobs
/// worker thread:  fn() runs, blocking as it likes; outcome stored --> call_soon_threadsafe(deliver)
/// ```
///
/// The worker never touches the Future: a Future, its callbacks and the task awaiting it belong to
/// the loop's thread, and none of them has a lock. The worker only stores what fn returned (or
/// threw) and hands the loop a callback, `deliver`, through the one door built for other threads;
/// `deliver` completes the Future on the loop's thread, and the awaiting task resumes there.
///
/// **Cancellation stops the waiting, not the work.** Cancelling the awaiting task cancels the Future;
/// the thread goes on to the end of fn, because nothing can stop a thread from outside, and `deliver`
/// then finds the Future done and drops the result (as asyncio does). A job that must stop early has
/// to look at a flag of its own.
///
/// **Virtual time.** A worker runs in real time; the loop counts the results it still expects, and
/// while one is pending the virtual clock does not jump: the loop waits, for real, for the thread.
///
/// **What it leaves out.** Executors other than the default one, and functools.partial-style
/// arguments (capture them in a lambda). **What it costs.** Per call: a Future, a shared outcome, two
/// std::functions, a job queued under a lock, and a call_soon_threadsafe() back.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "future.hpp"

namespace looplab::inline stage08 {

namespace detail {
/// What a worker leaves for the loop: fn's value, or its exception.
template <typename R>
struct WorkerOutcome {
    std::optional<Stored<R>> value;
    std::exception_ptr error;
};
} // namespace detail

/// Runs `fn()` on a worker of the default executor (4 threads unless set_default_executor_workers()
/// said otherwise); returns a Future that completes with fn's value or exception, on the loop's thread.
template <typename F>
Future<std::invoke_result_t<F&>> EventLoop::run_in_executor(F fn) {
    using R = std::invoke_result_t<F&>;
    check_open();
    Future<R> future(*this, "run_in_executor");
    auto outcome = std::make_shared<detail::WorkerOutcome<R>>();
    // Made here, on the loop's thread; the worker only moves it into call_soon_threadsafe().
    std::function<void()> deliver = [this, future, outcome] {
        --executor_jobs_;
        if (future.done()) return;   // the awaiting task was cancelled: the result has nobody to go to
        if (outcome->error) future.set_exception(outcome->error);
        else if constexpr (std::is_void_v<R>) future.set_result();
        else future.set_result(std::move(*outcome->value));
    };
    default_executor().submit([this, fn = std::move(fn), outcome, deliver = std::move(deliver)]() mutable {
        {
            // Our reference to the outcome ends with this block, *before* the loop can run deliver:
            // so the outcome (and an exception in it) is destroyed on the loop's thread, never here,
            // while the coroutine may still be reading it. (ThreadSanitizer caught the other order.)
            auto mine = std::move(outcome);
            try {
                if constexpr (std::is_void_v<R>) { fn(); mine->value.emplace(); }
                else mine->value.emplace(fn());
            } catch (...) {
                mine->error = std::current_exception();   // to the awaiting coroutine, through the Future
            }
        }
        // call_soon_threadsafe() without its Handle: this thread keeps no reference to the callback,
        // so the Future it holds is destroyed on the loop's thread too.
        incoming_.push(std::make_shared<detail::HandleState>(std::move(deliver), "run_in_executor result"));
    });
    ++executor_jobs_;   // after submit(): a refused job is not waited for
    return future;
}

/// asyncio.to_thread(fn): run_in_executor() on the running loop. `co_await to_thread([] { ... })`.
template <typename F>
Future<std::invoke_result_t<F&>> to_thread(F fn) {
    return get_running_loop().run_in_executor(std::move(fn));
}

} // namespace looplab::stage08
