/// @file
/// @brief The loop's task-aware methods: create_task(), run_until_complete(), all_tasks() and close().
///
/// **What this file adds.** The EventLoop methods that need to know what a Task is, defined after
/// task.hpp (which includes this file). close() destroys pending tasks first, reporting each (C33);
/// asyncio leaves them to the garbage collector, which reports them the same way.
/// **What it costs.** run_until_complete: one done-callback; close(): O(tasks + timers + fds), once.
#pragma once

#include "task.hpp"

namespace looplab::inline stage08 {

template <typename T>
Task<T> EventLoop::create_task(Coroutine<T> coro, std::string name) {
    check_open();
    if (!coro) throw RuntimeError("create_task() needs a coroutine (this one is empty)");
    if (std::exchange(coro.handle().promise().started, true))
        throw RuntimeError("create_task(): the coroutine was already awaited");
    const std::uint64_t number = next_task_number_++;
    if (name.empty()) name = "Task-" + std::to_string(number);
    auto state = std::make_shared<detail::TaskState<T>>(*this, std::move(coro), std::move(name), number);
    state->start();
    return Task<T>(state);
}

inline void EventLoop::run_until_done(detail::FutureBase& future) {
    check_open();
    if (running_) throw RuntimeError("This event loop is already running");
    struct StopWhenDone {   // registered for the run only, however it ends
        detail::FutureBase& fut;
        CallbackId id;
        ~StopWhenDone() { fut.remove_callback(id); }
    } stop_when_done{future, future.add_callback([this](detail::FutureBase&) { stop(); }, "stop the loop")};
    run_forever();
    if (!future.done()) throw RuntimeError("Event loop stopped before Future completed.");
}

template <typename T>
T EventLoop::run_until_complete(Coroutine<T> main) {
    return run_until_complete(Future<T>(create_task(std::move(main))));
}

inline std::vector<AnyTask> EventLoop::all_tasks() const {
    std::vector<AnyTask> out;
    for (const auto& [number, t] : tasks_) out.emplace_back(t->future().shared_from_this());
    return out;
}

inline void EventLoop::close() {
    if (running_) throw RuntimeError("Cannot close a running event loop");
    if (closed_) return;   // idempotent (C12)
    // Threads first: wait for every executor job (asyncio's run() does so too), then refuse their calls.
    if (executor_) executor_->shutdown();
    incoming_.close();   // undelivered results: their Futures are destroyed here, on the loop's thread
    executor_jobs_ = 0;
    closed_ = true;
    // Pending tasks first: destroying their frames may release what other callbacks hold.
    auto pending = std::exchange(tasks_, {});
    for (auto& [number, task] : pending) task->destroy_pending();
    pending.clear();
    ready_.clear();
    for (auto& t : timers_) t->cancelled_count = nullptr;
    timers_.clear();
    cancelled_timers_ = 0;
    // An fd the program closed first is already gone from epoll's list, and the selector's own table
    // has forgotten it when it says so (epoll_selector.hpp): at close, that is no error.
    for (auto* table : {&readers_, &writers_})
        for (auto& [fd, handle] : *table)
            try { selector_->set_interest(fd, false, false); } catch (const std::system_error&) {}
    readers_.clear();
    writers_.clear();
    signals_.reset();   // restores the signals' old dispositions
}

} // namespace looplab::stage08
