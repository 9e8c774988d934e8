/// @file
/// @brief Task<T>: a Future that drives a coroutine, one loop callback per step.
///
/// **What this file adds.** create_task(coro) schedules a *step* with call_soon (C22). A step resumes
/// the coroutine until it finishes or awaits what is not ready: a pending **Future**, to which the task
/// adds its wake-up (asyncio's `Task.__wakeup`), whose step resumes the innermost frame (C25); or
/// **sleep(0)**, which queues the next step behind everything ready (C24). At the end the task's own
/// Future gets the value or exception.
/// ```
///   loop ──call_soon──▶ step() ──resume──▶ coroutine ──co_await future──▶ (pending)
///     ▲                                                                     │
///     └──call_soon── future.set_result(v) ◀── add_done_callback(wake-up) ◀──┘
/// ```
/// **Cancellation** is a request, delivered as an exception at an await (C26-C30): a waiting task
/// cancels its Future; any other is marked, and its next step throws (before the first, none of the
/// body runs, C23). It ends CANCELLED if that escapes, or if it returns still marked (C27). New in
/// stage 06: a task counts the requests; cancelling() says how many are pending and uncancel() takes
/// one back (C29), so that timeout() can tell its own cancellation from someone else's.
///
/// **What it leaves out.** Task groups, eager tasks, contextvars; the loop holds tasks strongly (asyncio
/// weakly). **What it costs.** Per task one allocation (Future and engine), a map node and the frame;
/// per step a Handle. A production runtime allocates frame and state together (stage 09).
#pragma once

#include "coroutine.hpp"
#include "future.hpp"

namespace looplab::inline stage08 {

namespace detail {

/// The engine of a task, independent of its result type: stepping, waiting, cancelling.
class TaskBase {
public:
    TaskBase(EventLoop& loop, std::uint64_t number, std::coroutine_handle<> outer) : loop_(loop), number_(number), outer_(outer) {}
    virtual ~TaskBase() = default;

    virtual FutureBase& future() = 0;
    [[nodiscard]] const std::string& task_name() { return future().name(); }   // its future's name
    [[nodiscard]] int cancelling() const { return num_cancels_requested_; }

    /// Task.cancel(): see the file comment.
    bool request_cancel(std::string message) {
        if (future().done()) return false;   // C28: cancel() on a done task returns false
        ++num_cancels_requested_;            // C55: a second request only counts, if the future is done
        if (fut_waiter_ && fut_waiter_->cancel(message)) return true;   // C26: cancel what we wait for
        must_cancel_ = true;                                            // C27: mark; the next step delivers it
        cancel_message_ = std::move(message);
        return true;
    }
    /// Task.uncancel(): one request fewer, never below zero; at zero a pending mark is dropped (C29).
    int uncancel() {
        if (num_cancels_requested_ > 0 && --num_cancels_requested_ == 0) must_cancel_ = false;
        return num_cancels_requested_;
    }
    /// A new task: the loop holds it while it is pending, and its first step is scheduled (C22).
    void start() { loop_.tasks_.emplace(number_, self()); schedule_step(); }

    /// Called by a Future's awaiter: `waiting` is the (innermost) frame that awaits `fut`.
    void suspend_on(FutureBase& fut, std::coroutine_handle<> waiting) {
        resume_point_ = waiting;
        fut_waiter_ = fut.shared_from_this();
        // The wake-up, asyncio's Task.__wakeup: an ordinary done-callback, named like a step.
        fut.add_callback([task = self()](FutureBase&) { task->fut_waiter_.reset(); task->step(); }, step_name());
        // A cancel() that arrived while we were running: cancel what we now wait for (asyncio's __step).
        if (must_cancel_ && fut_waiter_->cancel(cancel_message_)) must_cancel_ = false;
    }

    /// Called by sleep(0): run the next step after everything already queued (C24).
    void suspend_yield(std::coroutine_handle<> waiting) { resume_point_ = waiting; schedule_step(); }
    /// Called by awaiters as the coroutine resumes from `waited` (null for sleep(0)): deliver a cancel()
    /// that arrived while the task was not waiting (C27), unless the future's own CancelledError will (C55).
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

protected:
    virtual void finish_from_frame(bool cancel_requested, const std::string& message) = 0;
    virtual void destroy_frame() = 0;   // the typed part owns the outermost frame
private:
    // This task as a shared_ptr<TaskBase> that owns what its Future's shared_ptr owns (the aliasing
    // constructor): what a scheduled step or a wake-up holds, so the task lives until it has run.
    std::shared_ptr<TaskBase> self() { return {future().shared_from_this(), this}; }
    std::string step_name() { return "<Task " + task_name() + ">"; }   // "Exception in callback <Task main>"
    void schedule_step() { loop_.call_soon([task = self()] { task->step(); }, step_name()); }

    // One step: resume the coroutine where it waits, then see how it stopped.
    void step() {
        FutureBase& fut = future();
        if (fut.done()) return;
        if (loop_.tracing()) loop_.tracer()->resume(task_name());
        if (started_ || !must_cancel_) {   // else cancelled before its first step: none of the body runs (C23)
            started_ = true;
            std::coroutine_handle<> frame = resume_point_ ? std::exchange(resume_point_, {}) : outer_;
            loop_.current_task_ = this;
            frame.resume();
            loop_.current_task_ = nullptr;
            if (!outer_.done()) {
                if (loop_.tracing()) loop_.tracer()->suspend(task_name(), fut_waiter_ ? fut_waiter_->name() : "sleep(0): a bare yield");
                return;
            }
        }
        loop_.tasks_.erase(number_);   // the scheduled step still holds us until it returns
        finish_from_frame(std::exchange(must_cancel_, false), cancel_message_);
        destroy_frame();
        if (loop_.tracing() && fut.has_exception()) loop_.tracer()->error(task_name(), "an exception escaped");
        if (loop_.tracing() && !fut.has_exception()) loop_.tracer()->done(task_name(), fut.cancelled() ? "cancelled" : "");
    }

    EventLoop& loop_;
    std::uint64_t number_;                     // its key in the loop's map of pending tasks
    std::coroutine_handle<> outer_;            // the task's coroutine: resumed by its first step
    std::coroutine_handle<> resume_point_{};   // the innermost frame that waits, if any
    std::shared_ptr<FutureBase> fut_waiter_;   // the future it waits for, if any
    bool must_cancel_ = false, started_ = false;
    int num_cancels_requested_ = 0;   // cancel() requests not taken back by uncancel()
    std::string cancel_message_;
};

/// A task's shared state: its Future (typed) and its engine, and the coroutine it drives.
template <typename T>
class TaskState final : public FutureState<T>, public TaskBase {
public:
    TaskState(EventLoop& loop, Coroutine<T> coro, std::string name, std::uint64_t number)
        : FutureState<T>(loop, std::move(name), true), TaskBase(loop, number, coro.handle()), coro_(std::move(coro)) {}

    FutureBase& future() override { return *this; }
    bool cancel(std::string message) override { return request_cancel(std::move(message)); }

private:
    void destroy_frame() override { coro_ = Coroutine<T>(); }
    void finish_from_frame(bool cancel_requested, const std::string& message) override {
        auto& promise = coro_.handle().promise();
        if (std::optional<std::string> why = cancellation_message(promise.error)) {
            this->cancel_now(*why);   // the cancellation escaped: CANCELLED, with its message (C28)
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

/// `co_await future`: done, the value at once (C20); pending, the running task waits for it.
template <typename T>
struct FutureAwaiter {
    FutureState<T>* state;     // the co_await's operand: alive until the coroutine resumes
    TaskBase* task = nullptr;  // set when we suspended

    bool await_ready() const noexcept { return state->done(); }
    void await_suspend(std::coroutine_handle<> waiting) {
        task = TaskBase::running(state->loop());
        if (task == nullptr)
            throw RuntimeError("co_await on a pending future outside a task: wrap the coroutine in a Task "
                               "(create_task or run_until_complete)");
        if (&task->future() == state) throw RuntimeError("Task cannot await on itself: " + task->task_name());   // C31
        task->suspend_on(*state, waiting);
    }
    T await_resume() {
        if (task != nullptr) task->deliver_pending_cancel(state);   // C27, C55
        return static_cast<T>(state->result());   // for T = void, the cast drops the std::monostate
    }
};

} // namespace detail

/// A scheduled coroutine: a Future<T> whose result and name ("Task-3" unless named) are the task's.
template <typename T>
class Task : public Future<T> {
public:
    /// Wraps a task's state (create_task() makes tasks).
    explicit Task(std::shared_ptr<detail::TaskState<T>> state) : Future<T>(std::move(state)) {}
    [[nodiscard]] int cancelling() const { return engine().cancelling(); }   ///< Pending cancel() requests (C29).
    int uncancel() const { return engine().uncancel(); }   ///< Takes one request back; returns how many remain.
private:
    detail::TaskBase& engine() const { return static_cast<detail::TaskState<T>&>(*this->state()); }
};

/// Any task, whatever its result type: what current_task() and all_tasks() return.
class AnyTask {
public:
    AnyTask() = default;   ///< No task.
    /// Refers to the task whose Future is `state` (library code makes these).
    explicit AnyTask(std::shared_ptr<detail::FutureBase> state) : state_(std::move(state)) {}
    /// From a typed task.
    template <typename T>
    AnyTask(const Task<T>& task) : state_(task.state()) {}   // NOLINT: implicit on purpose, a Task *is* an AnyTask

    explicit operator bool() const { return state_ != nullptr; }                   ///< True for a task.
    [[nodiscard]] const std::string& name() const { return state_->name(); }       ///< The task's name.
    [[nodiscard]] bool done() const { return state_->done(); }                     ///< Finished or cancelled.
    [[nodiscard]] bool cancelled() const { return state_->cancelled(); }           ///< Cancelled.
    bool cancel(std::string message = {}) const { return state_->cancel(std::move(message)); }   ///< See Task.
    [[nodiscard]] int cancelling() const { return engine().cancelling(); }   ///< Pending cancel() requests.
    int uncancel() const { return engine().uncancel(); }                     ///< Takes one request back.
    /// The task's future, type-erased (library code).
    [[nodiscard]] const std::shared_ptr<detail::FutureBase>& state() const { return state_; }
    friend bool operator==(const AnyTask& a, const AnyTask& b) { return a.state_ == b.state_; }   ///< Same task.

private:
    detail::TaskBase& engine() const { return dynamic_cast<detail::TaskBase&>(*state_); }   // Future and engine: one object
    std::shared_ptr<detail::FutureBase> state_;
};

/// The task whose step is running now; an empty AnyTask between steps or outside a loop (C32).
inline AnyTask current_task() {
    detail::TaskBase* t = detail::running_task();
    return t != nullptr ? AnyTask(t->future().shared_from_this()) : AnyTask();
}

/// Schedules `coro` as a Task on the running loop (asyncio.create_task).
template <typename T>
Task<T> create_task(Coroutine<T> coro, std::string name = {}) {
    return get_running_loop().create_task(std::move(coro), std::move(name));
}

} // namespace looplab::stage08

#include "loop_tasks.hpp"   // the loop's task-aware methods: create_task, run_until_complete, all_tasks, close
