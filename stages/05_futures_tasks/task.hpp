/// @file
/// @brief Task<T>: a Future that drives a coroutine, one loop callback per step.
///
/// **What this file adds.** The loop runs callbacks; a coroutine wants to be resumed. A Task joins
/// them. create_task(coro) schedules the task's first *step* with call_soon (C22), so the body does
/// not start until the loop iterates. A step resumes the coroutine, which runs (through any number
/// of inline awaits of other coroutines) until it either finishes, or awaits something that is not
/// ready:
///  - a pending **Future**: the Future's awaiter tells the task which frame is waiting, and the task
///    adds a wake-up callback to the Future. When the Future completes, that callback is scheduled
///    (call_soon), and it runs the next step, which resumes that exact frame (C25);
///  - **sleep(0)**, a bare yield: the next step is scheduled with call_soon, behind everything already
///    queued (C24).
/// When the coroutine finishes, the task's own Future gets its value or its exception, and whoever
/// awaits the task wakes up in turn. That is the whole trick: a chain of callbacks that looks, from
/// inside the coroutine, like straight-line code.
///
/// ```
///   loop ──call_soon──▶ step() ──resume──▶ coroutine ──co_await future──▶ (pending)
///     ▲                                                                     │
///     └──call_soon── future.set_result(v) ◀── add_done_callback(wake-up) ◀──┘
/// ```
///
/// **Cancellation** is a request, delivered as an exception at an await (C26-C30):
///  - cancel() on a task waiting for a Future cancels that Future at once; the task wakes on a later
///    iteration and the awaiting `co_await` throws CancelledError;
///  - cancel() on a task that is not waiting (already scheduled to run) marks it; its next resume
///    throws CancelledError at the co_await it resumes from (or, before the first step, none of the
///    body runs at all, C23);
///  - the coroutine may catch CancelledError and go on or return a value; the task ends CANCELLED
///    only if the exception escapes (or it returns while still marked, C27);
///  - cancelling() counts the requests, uncancel() takes one back (C29).
///
/// **Lifetimes.** The loop holds every pending task, so a task nobody references still runs to the
/// end (asyncio keeps only weak references and asks you to keep your own). A pending task still held
/// when the loop closes is destroyed and reported: "Task was destroyed but it is pending!"; a task
/// that failed and whose exception nobody retrieved says "Task exception was never retrieved" when its
/// last handle goes (C33). A finished task's coroutine frame is freed at once, as CPython drops its
/// coroutine.
///
/// **What it leaves out.** Task groups, eager tasks, contextvars, `get_stack()`, and a task's name
/// being changed after creation.
///
/// **What it costs.** Per task: its shared state (Future + engine + its links in the loop's list of
/// pending tasks: one allocation of about 300 bytes) and the coroutine frame. Per step: one
/// ready-queue entry (a TaskStep, no allocation) and, when it waits, one registration on the Future
/// (stored in the Future itself when it is the first). A production runtime would go further: one
/// allocation holding both the frame and the task state, and reference counts that are not atomic.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
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
    explicit TaskBase(EventLoop& loop) : loop_(loop) {}
    virtual ~TaskBase() = default;
    TaskBase(const TaskBase&) = delete;
    TaskBase& operator=(const TaskBase&) = delete;

    /// The task's name is its future's name (one string per task, not two).
    [[nodiscard]] const std::string& task_name() { return future().name(); }
    [[nodiscard]] int cancelling() const { return num_cancels_requested_; }
    [[nodiscard]] EventLoop& task_loop() const { return loop_; }
    virtual FutureBase& future() = 0;

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
        if (num_cancels_requested_ > 0) {
            --num_cancels_requested_;
            if (num_cancels_requested_ == 0) must_cancel_ = false;
        }
        return num_cancels_requested_;
    }

    /// The first step goes through the ready queue, as call_soon would (C22): a TaskStep, which costs
    /// no allocation (event_loop.hpp).
    void schedule_step() { loop_.ready_.push_back(TaskStep{this}); }

    /// What the loop calls for a TaskStep: forget the future we waited for (if any), and step.
    void run_step() {
        fut_waiter_.reset();
        step();
    }

    /// Called by a Future's awaiter: `waiting` is the (innermost) frame that awaits `fut`.
    void suspend_on(FutureBase& fut, std::coroutine_handle<> waiting) {
        resume_point_ = waiting;
        fut_waiter_ = fut.shared_from_this();
        fut.add_waiter(this);
        // A cancel() that arrived while we were running: cancel what we now wait for (asyncio's __step).
        if (must_cancel_ && fut_waiter_->cancel(cancel_message_)) must_cancel_ = false;
    }

    /// Called by sleep(0): run the next step after everything already queued (C24).
    void suspend_yield(std::coroutine_handle<> waiting) {
        resume_point_ = waiting;
        schedule_step();
    }

    /// Called by awaiters when the coroutine resumes: deliver a pending cancellation (C27).
    void deliver_pending_cancel() {
        if (must_cancel_) {
            must_cancel_ = false;
            throw CancelledError(cancel_message_);
        }
    }

    /// One step: resume the coroutine where it waits, then see how it stopped.
    void step() {
        FutureBase& fut = future();
        if (fut.done()) return;
        if (loop_.tracing()) loop_.tracer()->resume(task_name());
        if (must_cancel_ && !started_) {
            // Cancelled before its first step: none of the body runs (C23).
            std::shared_ptr<FutureBase> keep = leave_loop();   // the loop's reference, dropped as we return
            must_cancel_ = false;
            destroy_frame();
            fut.cancel_now(cancel_message_);
            finished("cancelled before its first step");
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
        std::shared_ptr<FutureBase> keep = leave_loop();   // the loop's reference, dropped as we return
        finish_from_frame(std::exchange(must_cancel_, false), cancel_message_);
        destroy_frame();
        finished(nullptr);
    }

    /// close(): a pending task is destroyed with the loop (C33).
    void destroy_pending() {
        loop_.call_exception_handler({"Task was destroyed but it is pending!", nullptr, task_name()});
        fut_waiter_.reset();
        destroy_frame();
    }

    /// Registers a new task with its loop: appended to the list of pending tasks, which holds it.
    void link(std::shared_ptr<FutureBase> self) {
        keep_alive_ = std::move(self);
        older_ = loop_.newest_task_;
        (older_ != nullptr ? older_->newer_ : loop_.oldest_task_) = this;
        loop_.newest_task_ = this;
    }

    /// Leaves the loop's list of pending tasks; returns the loop's reference to this task.
    std::shared_ptr<FutureBase> leave_loop() {
        (older_ != nullptr ? older_->newer_ : loop_.oldest_task_) = newer_;
        (newer_ != nullptr ? newer_->older_ : loop_.newest_task_) = older_;
        older_ = newer_ = nullptr;
        return std::move(keep_alive_);
    }

    /// The next newer pending task of the loop (all_tasks()).
    [[nodiscard]] TaskBase* newer() const { return newer_; }
    /// The loop's reference to this pending task (all_tasks()).
    [[nodiscard]] const std::shared_ptr<FutureBase>& keep_alive() const { return keep_alive_; }

protected:
    virtual std::coroutine_handle<> outer_frame() = 0;
    virtual bool outer_done() = 0;
    virtual void finish_from_frame(bool cancel_requested, const std::string& message) = 0;
    virtual void destroy_frame() = 0;

private:
    template <typename T>
    friend Task<T> make_task(EventLoop&, Coroutine<T>, std::string);

    void finished(const char* how) {
        FutureBase& fut = future();
        if (loop_.tracing()) {
            const std::string& name = task_name();
            if (how != nullptr) {
                loop_.tracer()->done(name, how);
            } else if (fut.cancelled()) {
                loop_.tracer()->done(name, "cancelled");
            } else if (fut.has_exception()) {
                loop_.tracer()->error(name, "an exception escaped");
            } else {
                loop_.tracer()->done(name);
            }
        }
    }

    EventLoop& loop_;
    std::shared_ptr<FutureBase> keep_alive_;   // while pending: the loop's reference to this task
    TaskBase* older_ = nullptr;                // links of the loop's list of pending tasks
    TaskBase* newer_ = nullptr;
    std::coroutine_handle<> resume_point_{};
    std::shared_ptr<FutureBase> fut_waiter_;
    bool must_cancel_ = false;
    bool started_ = false;
    int num_cancels_requested_ = 0;
    std::string cancel_message_;
};

/// A task's shared state: its Future (typed) and its engine, and the coroutine it drives.
template <typename T>
class TaskState final : public FutureState<T>, public TaskBase {
public:
    TaskState(EventLoop& loop, Coroutine<T> coro, std::string name)
        : FutureState<T>(loop, std::move(name), true), TaskBase(loop), coro_(std::move(coro)) {}

    FutureBase& future() override { return *this; }
    bool cancel(std::string message) override { return request_cancel(std::move(message)); }

private:
    template <typename U>
    friend Task<U> make_task(EventLoop&, Coroutine<U>, std::string);

    std::coroutine_handle<> outer_frame() override { return coro_.handle(); }
    bool outer_done() override { return coro_.done(); }
    void destroy_frame() override { coro_ = Coroutine<T>(); }
    void finish_from_frame(bool cancel_requested, const std::string& message) override {
        auto& promise = coro_.handle().promise();
        if (promise.error) {
            if (is_cancellation(promise.error)) {
                // The cancellation escaped: the task ends CANCELLED, with the message it carried (C28).
                std::string why;
                try {
                    std::rethrow_exception(promise.error);
                } catch (const CancelledError& e) {
                    why = e.message();
                }
                this->cancel_now(std::move(why));
            } else {
                this->set_exception(promise.error);
            }
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

} // namespace detail

/// A scheduled coroutine: a Future<T> whose result is the coroutine's. See the file comment.
template <typename T>
class Task : public Future<T> {
public:
    /// Wraps a task's state (create_task() makes tasks).
    explicit Task(std::shared_ptr<detail::TaskState<T>> state) : Future<T>(state), task_(state.get()) {}

    /// The task's name ("Task-3" unless one was given).
    [[nodiscard]] const std::string& name() const { return task_->task_name(); }
    /// How many cancel() requests are pending (C29).
    [[nodiscard]] int cancelling() const { return task_->cancelling(); }
    /// Takes one cancel() request back; returns how many remain (never below 0).
    int uncancel() const { return task_->uncancel(); }

private:
    detail::TaskBase* task_;
};

/// Any task, whatever its result type: what current_task() and all_tasks() return.
class AnyTask {
public:
    /// No task.
    AnyTask() = default;
    /// Refers to a task (library code makes these).
    AnyTask(std::shared_ptr<detail::FutureBase> state, detail::TaskBase* task) : state_(std::move(state)), task_(task) {}
    /// From a typed task.
    template <typename T>
    AnyTask(const Task<T>& task)   // NOLINT: implicit on purpose, a Task *is* an AnyTask
        : state_(task.state()), task_(dynamic_cast<detail::TaskBase*>(task.state().get())) {}

    /// True when this refers to a task.
    explicit operator bool() const { return task_ != nullptr; }
    /// The task's name.
    [[nodiscard]] const std::string& name() const { return task_->task_name(); }
    /// True once the task finished or was cancelled.
    [[nodiscard]] bool done() const { return state_->done(); }
    /// True once the task was cancelled.
    [[nodiscard]] bool cancelled() const { return state_->cancelled(); }
    /// Requests cancellation (see Task).
    bool cancel(std::string message = {}) const { return state_->cancel(std::move(message)); }
    /// Pending cancel() requests.
    [[nodiscard]] int cancelling() const { return task_->cancelling(); }
    /// Takes one cancel() request back.
    int uncancel() const { return task_->uncancel(); }
    /// The task's engine (library code: sleep(0) uses it to yield).
    [[nodiscard]] detail::TaskBase* engine() const { return task_; }
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
    EventLoop* loop = detail::running_loop;
    if (loop == nullptr || loop->current_task_ == nullptr) return {};
    detail::TaskBase* t = loop->current_task_;
    return AnyTask(t->future().shared_from_this(), t);
}

namespace detail {

template <typename T>
Task<T> make_task(EventLoop& loop, Coroutine<T> coro, std::string name) {
    if (loop.is_closed()) throw RuntimeError("Event loop is closed");
    if (!coro) throw RuntimeError("create_task() needs a coroutine (this one is empty)");
    if (coro.handle().promise().started) throw RuntimeError("create_task(): the coroutine was already awaited");
    coro.handle().promise().started = true;
    const std::uint64_t number = loop.next_task_number_++;
    if (name.empty()) name = "Task-" + std::to_string(number);   // short enough to need no allocation
    auto state = std::make_shared<TaskState<T>>(loop, std::move(coro), std::move(name));
    state->link(state);
    state->schedule_step();
    return Task<T>(state);
}

inline TaskBase* suspend_current_task_on(FutureBase& fut, std::coroutine_handle<> waiting) {
    EventLoop& loop = fut.loop();
    TaskBase* task = loop.current_task_;
    if (task == nullptr)
        throw RuntimeError("co_await on a pending future outside a task: wrap the coroutine in a Task "
                           "(create_task or run_until_complete)");
    if (&task->future() == &fut) throw RuntimeError("Task cannot await on itself: " + task->task_name());
    task->suspend_on(fut, waiting);
    return task;
}

inline void deliver_pending_cancel(TaskBase* task) { task->deliver_pending_cancel(); }

inline void run_task_step(TaskBase* task) { task->run_step(); }

inline TaskBase* running_task() {
    EventLoop* loop = running_loop;
    return loop != nullptr ? loop->current_task_ : nullptr;
}

inline std::string task_step_name(TaskBase* task) { return "<Task " + task->task_name() + ">"; }

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
    Task<T> task = create_task(std::move(main));
    return run_until_complete(Future<T>(task));
}

inline std::vector<AnyTask> EventLoop::all_tasks() const {
    std::vector<AnyTask> out;
    for (detail::TaskBase* t = oldest_task_; t != nullptr; t = t->newer()) out.emplace_back(t->keep_alive(), t);
    return out;
}

inline void EventLoop::close() {
    if (running_) throw RuntimeError("Cannot close a running event loop");
    if (closed_) return;   // idempotent (C12)
    closed_ = true;
    // Pending tasks first: destroying their frames may release what other callbacks hold.
    std::vector<std::pair<detail::TaskBase*, std::shared_ptr<detail::FutureBase>>> pending;
    while (oldest_task_ != nullptr) {
        detail::TaskBase* t = oldest_task_;
        pending.emplace_back(t, t->leave_loop());
    }
    for (auto& [task, keep] : pending) task->destroy_pending();
    pending.clear();
    ready_.clear();
    for (auto& t : timers_) t.handle->heap_cancelled = nullptr;
    timers_.clear();
    cancelled_timers_ = 0;
    for (auto& [fd, entry] : fds_) selector_->set_interest(fd, false, false);
    fds_.clear();
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
