/// @file
/// @brief Task<T>: a Future that drives a coroutine, one loop callback per step.
///
/// **What this file adds.** The loop runs callbacks; a coroutine wants to be resumed. A Task joins
/// them. create_task(coro) schedules the task's first *step* with call_soon (C22), so the body does
/// not start until the loop iterates. A step resumes the coroutine, which runs (through any number of
/// inline awaits of other coroutines) until it finishes, or awaits something that is not ready:
///  - a pending **Future**: the task adds its wake-up to the Future's done-callbacks (asyncio's
///    `Task.__wakeup`). When the Future completes, the wake-up is scheduled like any done-callback
///    and runs the next step, which resumes the innermost frame, the one that awaited (C25);
///  - **sleep(0)**, a bare yield: the next step is scheduled with call_soon, behind everything already
///    queued (C24).
/// When the coroutine finishes, the task's own Future gets its value or its exception, and whoever
/// awaits the task wakes up in turn: a chain of callbacks that looks like straight-line code.
/// ```
///   loop ──call_soon──▶ step() ──resume──▶ coroutine ──co_await future──▶ (pending)
///     ▲                                                                     │
///     └──call_soon── future.set_result(v) ◀── add_done_callback(wake-up) ◀──┘
/// ```
/// **Cancellation** is a request, delivered as an exception at an await (C26-C30). cancel() on a task
/// waiting for a Future cancels that Future at once, and the `co_await` throws the Future's
/// CancelledError when the task wakes; a second cancel() meanwhile only counts, so the first message
/// is the one delivered, as in asyncio (C55). cancel() on a task that is not waiting marks it: its
/// next step throws CancelledError where it resumes (before the first step, none of the body runs,
/// C23). The coroutine may catch it and go on: the task ends CANCELLED only if the exception escapes,
/// or if it returns while still marked (C27). cancelling() counts requests, uncancel() takes one back.
///
/// **Lifetimes.** The loop holds every pending task, so a task nobody references still runs to the
/// end (asyncio keeps only weak references). A task still pending when the loop closes is destroyed
/// and reported: "Task was destroyed but it is pending!" (C33). A finished task frees its frame.
///
/// **What it leaves out.** Task groups, eager tasks, contextvars, `get_stack()`, renaming a task.
///
/// **What it costs.** Per task: its shared state (Future and engine, one allocation), a node in the
/// loop's map of pending tasks, and the coroutine frame. Per step: a Handle (call_soon). Per wait: a
/// done-callback on the Future (a std::function and a name, "<Task name>") and, when the Future
/// completes, a Handle. A production runtime puts frame and task state in one allocation and wakes a
/// task without any Handle (stage 09).
#pragma once

#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"

namespace looplab::inline stage05 {

namespace detail {

/// The engine of a task, independent of its result type: stepping, waiting, cancelling.
class TaskBase {
public:
    TaskBase(EventLoop& loop, std::uint64_t number) : loop_(loop), number_(number) {}
    virtual ~TaskBase() = default;
    TaskBase(const TaskBase&) = delete;
    TaskBase& operator=(const TaskBase&) = delete;

    virtual FutureBase& future() = 0;
    [[nodiscard]] const std::string& task_name() { return future().name(); }   // its future's name
    [[nodiscard]] int cancelling() const { return num_cancels_requested_; }

    /// Task.cancel(): see the file comment.
    bool request_cancel(std::string message) {
        if (future().done()) return false;   // C28: cancel() on a done task returns false
        ++num_cancels_requested_;
        if (fut_waiter_ && fut_waiter_->cancel(message)) return true;   // C26: cancel what we wait for
        must_cancel_ = true;                                            // C27: mark; the next step delivers it
        cancel_message_ = std::move(message);
        return true;
    }

    /// Task.uncancel(): one request fewer, never below zero (C29).
    int uncancel() {
        if (num_cancels_requested_ > 0 && --num_cancels_requested_ == 0) must_cancel_ = false;
        return num_cancels_requested_;
    }

    /// A new task: the loop holds it while it is pending, and its first step is scheduled (C22).
    void start() {
        loop_.tasks_.emplace(number_, self());
        schedule_step();
    }

    /// Called by a Future's awaiter: `waiting` is the (innermost) frame that awaits `fut`.
    void suspend_on(FutureBase& fut, std::coroutine_handle<> waiting) {
        resume_point_ = waiting;
        fut_waiter_ = fut.shared_from_this();
        // The wake-up, asyncio's Task.__wakeup: an ordinary done-callback, named like a step.
        fut.add_callback([task = self()](FutureBase&) { task->wake_up(); }, step_name());
        // A cancel() that arrived while we were running: cancel what we now wait for (asyncio's __step).
        if (must_cancel_ && fut_waiter_->cancel(cancel_message_)) must_cancel_ = false;
    }

    /// Called by sleep(0): run the next step after everything already queued (C24).
    void suspend_yield(std::coroutine_handle<> waiting) {
        resume_point_ = waiting;
        schedule_step();
    }

    /// Called by awaiters as the coroutine resumes from `waited` (null for sleep(0)): deliver a cancel()
    /// that arrived while the task was not waiting (C27). When the awaited future raises a
    /// CancelledError anyway, that one is delivered, as asyncio's __step does (C55).
    void deliver_pending_cancel(FutureBase* waited) {
        if (!must_cancel_) return;
        must_cancel_ = false;
        if (waited != nullptr &&
            (waited->cancelled() || (waited->has_exception() && is_cancellation(waited->exception()))))
            return;   // result() throws the future's own CancelledError
        throw CancelledError(cancel_message_);
    }

    /// close(): a pending task is destroyed with the loop (C33).
    void destroy_pending() {
        loop_.call_exception_handler({"Task was destroyed but it is pending!", nullptr, task_name()});
        fut_waiter_.reset();
        destroy_frame();
    }

    /// The task whose step is running on `loop` (C32), or null.
    static TaskBase* running(const EventLoop& loop) { return loop.current_task_; }
    /// The number of the next task created on `loop`: "Task-<number>".
    static std::uint64_t next_number(EventLoop& loop) { return loop.next_task_number_++; }

protected:
    virtual std::coroutine_handle<> outer_frame() = 0;
    virtual bool outer_done() = 0;
    virtual void finish_from_frame(bool cancel_requested, const std::string& message) = 0;
    virtual void destroy_frame() = 0;

private:
    // This task as a shared_ptr<TaskBase> that owns what its Future's shared_ptr owns (the aliasing
    // constructor): what a scheduled step or a wake-up holds, so the task lives until it has run.
    std::shared_ptr<TaskBase> self() { return {future().shared_from_this(), this}; }
    std::string step_name() { return "<Task " + task_name() + ">"; }   // "Exception in callback <Task main>"

    void schedule_step() { loop_.call_soon([task = self()] { task->step(); }, step_name()); }

    void wake_up() {
        fut_waiter_.reset();
        step();
    }

    // One step: resume the coroutine where it waits, then see how it stopped.
    void step() {
        FutureBase& fut = future();
        if (fut.done()) return;
        if (loop_.tracing()) loop_.tracer()->resume(task_name());
        if (must_cancel_ && !started_) {   // cancelled before its first step: none of the body runs (C23)
            loop_.tasks_.erase(number_);   // the scheduled step still holds us
            must_cancel_ = false;
            destroy_frame();
            fut.cancel_now(cancel_message_);
            if (loop_.tracing()) loop_.tracer()->done(task_name(), "cancelled before its first step");
            return;
        }
        started_ = true;
        std::coroutine_handle<> frame = resume_point_ ? std::exchange(resume_point_, {}) : outer_frame();
        loop_.current_task_ = this;
        frame.resume();
        loop_.current_task_ = nullptr;
        if (!outer_done()) {
            if (loop_.tracing()) loop_.tracer()->suspend(task_name(), fut_waiter_ ? fut_waiter_->name() : "sleep(0): a bare yield");
            return;
        }
        loop_.tasks_.erase(number_);
        finish_from_frame(std::exchange(must_cancel_, false), cancel_message_);
        destroy_frame();
        if (!loop_.tracing()) return;
        if (fut.cancelled()) {
            loop_.tracer()->done(task_name(), "cancelled");
        } else if (fut.has_exception()) {
            loop_.tracer()->error(task_name(), "an exception escaped");
        } else {
            loop_.tracer()->done(task_name());
        }
    }

    EventLoop& loop_;
    std::uint64_t number_;                     // its key in the loop's map of pending tasks
    std::coroutine_handle<> resume_point_{};   // the innermost frame that waits, if any
    std::shared_ptr<FutureBase> fut_waiter_;   // the future it waits for, if any
    bool must_cancel_ = false;
    bool started_ = false;
    int num_cancels_requested_ = 0;
    std::string cancel_message_;
};

/// A task's shared state: its Future (typed) and its engine, and the coroutine it drives.
template <typename T>
class TaskState final : public FutureState<T>, public TaskBase {
public:
    TaskState(EventLoop& loop, Coroutine<T> coro, std::string name, std::uint64_t number)
        : FutureState<T>(loop, std::move(name), true), TaskBase(loop, number), coro_(std::move(coro)) {}

    FutureBase& future() override { return *this; }
    bool cancel(std::string message) override { return request_cancel(std::move(message)); }

private:
    std::coroutine_handle<> outer_frame() override { return coro_.handle(); }
    bool outer_done() override { return coro_.done(); }
    void destroy_frame() override { coro_ = Coroutine<T>(); }
    void finish_from_frame(bool cancel_requested, const std::string& message) override {
        auto& promise = coro_.handle().promise();
        if (promise.error && is_cancellation(promise.error)) {
            // The cancellation escaped: the task ends CANCELLED, with the message it carried (C28).
            try {
                std::rethrow_exception(promise.error);
            } catch (const CancelledError& e) {
                this->cancel_now(e.message());
            }
        } else if (promise.error) {
            this->set_exception(promise.error);
        } else if (cancel_requested) {
            this->cancel_now(message);   // returned normally while marked (C27)
        } else if constexpr (std::is_void_v<T>) {
            this->set_result(std::monostate{});
        } else {
            this->set_result(std::move(*promise.value));
        }
    }

    Coroutine<T> coro_;
};

/// The task whose step is running now, or null.
inline TaskBase* running_task() { return running_loop != nullptr ? TaskBase::running(*running_loop) : nullptr; }

} // namespace detail

/// A scheduled coroutine: a Future<T> whose result is the coroutine's. See the file comment.
template <typename T>
class Task : public Future<T> {
public:
    /// Wraps a task's state (create_task() makes tasks).
    explicit Task(std::shared_ptr<detail::TaskState<T>> state) : Future<T>(state), task_(state.get()) {}

    [[nodiscard]] const std::string& name() const { return task_->task_name(); }   ///< "Task-3" unless named.
    [[nodiscard]] int cancelling() const { return task_->cancelling(); }   ///< Pending cancel() requests (C29).
    int uncancel() const { return task_->uncancel(); }   ///< Takes one request back; returns how many remain.

private:
    detail::TaskBase* task_;
};

/// Any task, whatever its result type: what current_task() and all_tasks() return.
class AnyTask {
public:
    AnyTask() = default;   ///< No task.
    /// Refers to a task (library code makes these).
    AnyTask(std::shared_ptr<detail::FutureBase> state, detail::TaskBase* task) : state_(std::move(state)), task_(task) {}
    /// From a typed task.
    template <typename T>
    AnyTask(const Task<T>& task)   // NOLINT: implicit on purpose, a Task *is* an AnyTask
        : state_(task.state()), task_(dynamic_cast<detail::TaskBase*>(task.state().get())) {}

    explicit operator bool() const { return task_ != nullptr; }                    ///< True for a task.
    [[nodiscard]] const std::string& name() const { return task_->task_name(); }   ///< The task's name.
    [[nodiscard]] bool done() const { return state_->done(); }                     ///< Finished or cancelled.
    [[nodiscard]] bool cancelled() const { return state_->cancelled(); }           ///< Cancelled.
    bool cancel(std::string message = {}) const { return state_->cancel(std::move(message)); }   ///< See Task.
    [[nodiscard]] int cancelling() const { return task_->cancelling(); }   ///< Pending cancel() requests.
    int uncancel() const { return task_->uncancel(); }                     ///< Takes one request back.
    [[nodiscard]] detail::TaskBase* engine() const { return task_; }   ///< The engine (library code).
    /// The task's future, type-erased (library code).
    [[nodiscard]] const std::shared_ptr<detail::FutureBase>& state() const { return state_; }
    /// Same task.
    friend bool operator==(const AnyTask& a, const AnyTask& b) { return a.task_ == b.task_; }

private:
    std::shared_ptr<detail::FutureBase> state_;
    detail::TaskBase* task_ = nullptr;
};

/// The task whose step is running now; an empty AnyTask between steps or outside a loop (C32).
inline AnyTask current_task() {
    detail::TaskBase* t = detail::running_task();
    return t != nullptr ? AnyTask(t->future().shared_from_this(), t) : AnyTask();
}

namespace detail {

template <typename T>
Task<T> make_task(EventLoop& loop, Coroutine<T> coro, std::string name) {
    if (loop.is_closed()) throw RuntimeError("Event loop is closed");
    if (!coro) throw RuntimeError("create_task() needs a coroutine (this one is empty)");
    if (coro.handle().promise().started) throw RuntimeError("create_task(): the coroutine was already awaited");
    coro.handle().promise().started = true;
    const std::uint64_t number = TaskBase::next_number(loop);
    if (name.empty()) name = "Task-" + std::to_string(number);
    auto state = std::make_shared<TaskState<T>>(loop, std::move(coro), std::move(name), number);
    state->start();
    return Task<T>(state);
}

inline TaskBase* suspend_current_task_on(FutureBase& fut, std::coroutine_handle<> waiting) {
    TaskBase* task = TaskBase::running(fut.loop());
    if (task == nullptr)
        throw RuntimeError("co_await on a pending future outside a task: wrap the coroutine in a Task "
                           "(create_task or run_until_complete)");
    if (&task->future() == &fut) throw RuntimeError("Task cannot await on itself: " + task->task_name());
    task->suspend_on(fut, waiting);
    return task;
}

inline void deliver_pending_cancel(TaskBase* task, FutureBase* waited) { task->deliver_pending_cancel(waited); }

} // namespace detail

template <typename T>
Task<T> EventLoop::create_task(Coroutine<T> coro, std::string name) {
    return detail::make_task(*this, std::move(coro), std::move(name));
}

/// Schedules `coro` as a Task on the running loop (asyncio.create_task).
template <typename T>
Task<T> create_task(Coroutine<T> coro, std::string name = {}) {
    return get_running_loop().create_task(std::move(coro), std::move(name));
}

template <typename T>
T EventLoop::run_until_complete(Future<T> future) {
    check_open();
    if (running_) throw RuntimeError("This event loop is already running");
    const CallbackId id = future.state()->add_callback([this](detail::FutureBase&) { stop(); }, "stop the loop");
    try {
        run_forever();
    } catch (...) {
        future.state()->remove_callback(id);
        throw;
    }
    future.state()->remove_callback(id);
    if (!future.done()) throw RuntimeError("Event loop stopped before Future completed.");
    return future.result();
}

template <typename T>
T EventLoop::run_until_complete(Coroutine<T> main) {
    return run_until_complete(Future<T>(create_task(std::move(main))));
}

inline std::vector<AnyTask> EventLoop::all_tasks() const {
    std::vector<AnyTask> out;
    for (const auto& [number, t] : tasks_) out.emplace_back(t->future().shared_from_this(), t.get());
    return out;
}

inline void EventLoop::close() {
    if (running_) throw RuntimeError("Cannot close a running event loop");
    if (closed_) return;   // idempotent (C12)
    closed_ = true;
    // Pending tasks first: destroying their frames may release what other callbacks hold.
    auto pending = std::exchange(tasks_, {});
    for (auto& [number, task] : pending) task->destroy_pending();
    pending.clear();
    ready_.clear();
    for (auto& t : timers_) t->cancelled_count = nullptr;
    timers_.clear();
    cancelled_timers_ = 0;
    for (auto* table : {&readers_, &writers_})
        for (auto& [fd, handle] : *table) selector_->set_interest(fd, false, false);
    readers_.clear();
    writers_.clear();
}

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

} // namespace looplab::stage05
