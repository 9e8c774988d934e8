/// @file
/// @brief Future<T>: a slot for a result that arrives later, and the callbacks to run when it does.
///
/// **What this file adds.** The loop (event_loop.hpp) only runs callbacks. A Future is how a callback
/// hands a *value* to someone who waits for it: it is pending until somebody calls set_result() or
/// set_exception() (or cancel()), and then it schedules its done-callbacks, each through the loop's
/// call_soon(), never synchronously (C17, C18). A coroutine running inside a Task can `co_await` a
/// Future: if it is already done the value comes back at once, without suspending (C20); if not, the
/// coroutine suspends and its Task registers a wake-up callback on the Future (task.hpp).
///
/// The three states, as in asyncio:
/// ```
///            set_result / set_exception
///  PENDING ------------------------------> FINISHED
///     |
///     +----------- cancel() -------------> CANCELLED   (result() throws CancelledError)
/// ```
/// A Future leaves PENDING exactly once: setting a done future again is an InvalidStateError, and
/// cancel() on a done future returns false (C15, C16).
///
/// **Why callbacks go through call_soon.** If set_result() called the callbacks directly, the code that
/// completes a Future would run arbitrary other code in the middle of its own work: re-entrancy, deep
/// stacks, and ordering that depends on who completed what. Scheduling them keeps every callback a
/// separate step of the loop, in registration order.
///
/// **Diagnostics.** An exception stored in a Future that nobody ever looked at is a bug being
/// swallowed. When such a Future is destroyed it reports "Future exception was never retrieved"
/// through the loop's exception handler (C21). Python finds out when the garbage collector frees the
/// future; C++ knows exactly when the last Future handle goes.
///
/// **Ownership.** Future<T> is a cheap handle to shared state: copies refer to the same future, which
/// lives as long as its last handle, its pending callbacks or a task waiting on it. A Future must not
/// be completed after its loop was destroyed.
///
/// **What it leaves out.** Thread safety (asyncio's Future is not thread-safe either;
/// concurrent.futures is a different class), and move-only results: several awaiters may read one
/// Future, so result() hands out a copy and T must be copyable (a `std::shared_ptr` carries the rest).
///
/// **What it costs.** One shared heap object per future (about 170 bytes), with room for one
/// registration: usually the task that awaits it. Each further registration is a 16-byte entry in a
/// vector, and a callback that is not a task's wake-up also carries a small heap record (its
/// std::function and name). Completing the future queues one ready-queue entry per registration, as
/// call_soon() would, but without a Handle: nobody can cancel these (event_loop.hpp).
#pragma once

#include <concepts>
#include <coroutine>
#include <cstdint>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "errors.hpp"
#include "event_loop.hpp"

namespace looplab::inline stage05 {

/// Identifies one registration of a done-callback, for remove_done_callback().
struct CallbackId {
    std::uint64_t value = 0;   ///< unique within its future
};

namespace detail {

/// What every Future has, whatever its result type: state, exception, callbacks, reports.
class FutureBase : public std::enable_shared_from_this<FutureBase> {
public:
    /// The three states of the file comment.
    enum class State { Pending, Cancelled, Finished };

    FutureBase(EventLoop& loop, std::string name, bool is_task)
        : loop_(&loop), name_(std::move(name)), is_task_(is_task) {}
    FutureBase(const FutureBase&) = delete;
    FutureBase& operator=(const FutureBase&) = delete;

    /// The C21 / C33 report: an exception nobody retrieved dies with its future.
    virtual ~FutureBase() {
        if (state_ == State::Finished && exception_ && !retrieved_)
            reporter_->report({is_task_ ? "Task exception was never retrieved" : "Future exception was never retrieved",
                               exception_, name_});
    }

    [[nodiscard]] bool done() const { return state_ != State::Pending; }
    [[nodiscard]] bool cancelled() const { return state_ == State::Cancelled; }
    [[nodiscard]] State state() const { return state_; }
    [[nodiscard]] EventLoop& loop() const { return *loop_; }
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& cancel_message() const { return cancel_message_; }
    [[nodiscard]] bool has_exception() const { return state_ == State::Finished && exception_ != nullptr; }

    /// Virtual: a Task passes the request to its coroutine, a gather to its children.
    virtual bool cancel(std::string message) { return cancel_now(std::move(message)); }

    /// Cancels this future itself, now (C16).
    bool cancel_now(std::string message) {
        if (state_ != State::Pending) return false;
        state_ = State::Cancelled;
        cancel_message_ = std::move(message);
        schedule_callbacks();
        return true;
    }

    void set_exception(std::exception_ptr error) {
        if (!error) throw std::invalid_argument("set_exception() needs an exception");
        if (state_ != State::Pending) throw InvalidStateError(name_ + ": set_exception() on a future that is already done");
        exception_ = std::move(error);
        retrieved_ = false;
        reporter_ = loop_->reporter_;   // for the C21 report, which may come after the loop is gone
        state_ = State::Finished;
        schedule_callbacks();
    }

    /// The stored exception (null after a result); marks it retrieved. CancelledError when cancelled,
    /// InvalidStateError while pending.
    std::exception_ptr exception() {
        if (state_ == State::Cancelled) throw CancelledError(cancel_message_);
        if (state_ == State::Pending) throw InvalidStateError(name_ + ": exception is not set (the future is pending)");
        retrieved_ = true;
        return exception_;
    }

    /// What result() does before it returns a value: throw for every state that has none.
    void rethrow_unless_result() {
        if (state_ == State::Cancelled) throw CancelledError(cancel_message_);
        if (state_ == State::Pending) throw InvalidStateError(name_ + ": result is not set (the future is pending)");
        retrieved_ = true;
        if (exception_) std::rethrow_exception(exception_);
    }

    /// Marks the exception as looked at, so no report is made (gather does this for its children).
    void mark_retrieved() { retrieved_ = true; }

    /// Registers a task's wake-up: when this future is done, `task`'s next step is queued (a TaskStep,
    /// no allocation). Used by the awaiter of a pending future (task.hpp).
    void add_waiter(TaskBase* task) { add_entry(Entry{task, nullptr}); }

    /// Registers `fn`, an internal callback (gather's bookkeeping, run_until_complete's stop), named
    /// by the string literal `label`.
    CallbackId add_callback(std::function<void(FutureBase&)> fn, const char* label) {
        return add_other(Callback{CallbackId{++last_id_}, std::move(fn), label, nullptr});
    }

    /// Registers a user's done-callback: `user` holds its name and, when it can be compared, a copy
    /// of it for remove_done_callback(fn).
    CallbackId add_user_callback(std::function<void(FutureBase&)> fn, std::unique_ptr<UserCallback> user) {
        return add_other(Callback{CallbackId{++last_id_}, std::move(fn), nullptr, std::move(user)});
    }

    /// Removes the registration `id`; returns whether it was there.
    bool remove_callback(CallbackId id) {
        return remove_if([&](const Callback& c) { return c.id.value == id.value; }) > 0;
    }

    /// Removes every registration whose key equals `fn` (C19); returns how many.
    template <typename F>
    std::size_t remove_matching(const F& fn) {
        return remove_if([&](const Callback& c) {
            return c.user && c.user->key_type != nullptr && *c.user->key_type == typeid(F) &&
                   *static_cast<const F*>(c.user->key.get()) == fn;
        });
    }

protected:
    /// Moves the future to FINISHED (the typed part stored the value first).
    void finish_with_result() {
        state_ = State::Finished;
        schedule_callbacks();
    }

private:
    // A registration that is not a task's wake-up: what to call, and what it is called.
    struct Callback {
        CallbackId id;
        std::function<void(FutureBase&)> fn;
        const char* label;                    // an internal callback's name
        std::unique_ptr<UserCallback> user;   // a user's callback's name and identity
    };
    // One registration, 16 bytes: a task to wake, or a Callback (a heap record: only gather,
    // wait_for, run_until_complete and user callbacks pay for one).
    struct Entry {
        TaskBase* task;
        std::unique_ptr<Callback> callback;
        [[nodiscard]] bool empty() const { return task == nullptr && !callback; }
    };

    void add_entry(Entry e) {
        // first_ is used only while more_ is empty, so registration order is first_, then more_.
        if (first_.empty() && more_.empty()) {
            first_ = std::move(e);
        } else {
            more_.push_back(std::move(e));
        }
        if (state_ != State::Pending) schedule_callbacks();   // already done: still via the ready queue (C18)
    }

    CallbackId add_other(Callback c) {
        const CallbackId id = c.id;
        add_entry(Entry{nullptr, std::make_unique<Callback>(std::move(c))});
        return id;
    }

    template <typename Match>
    std::size_t remove_if(const Match& match) {
        std::size_t removed = 0;
        if (first_.callback && match(*first_.callback)) {
            first_ = Entry{};
            ++removed;
        }
        return removed + std::erase_if(more_, [&](const Entry& e) { return e.callback && match(*e.callback); });
    }

    // Every callback becomes one ready-queue entry, in registration order (C17), as call_soon() would
    // queue it: a waiting task becomes a TaskStep; any other callback a DoneCallback, which keeps the
    // future alive until it has run. Neither needs a Handle: nobody can cancel them. On a closed loop
    // nothing will ever run again, so the callbacks are dropped (this happens while close() destroys
    // pending tasks, whose destructors may release a Lock or complete a Future).
    void schedule_callbacks() {
        Entry first = std::exchange(first_, Entry{});
        std::vector<Entry> more = std::exchange(more_, {});
        if (loop_->is_closed()) return;
        schedule(first);
        for (Entry& e : more) schedule(e);
    }

    void schedule(Entry& e) {
        if (loop_->tracing() && !e.empty()) trace_scheduled(e);
        if (e.task != nullptr) {
            loop_->ready_.push_back(TaskStep{e.task});
        } else if (e.callback) {
            Callback& c = *e.callback;
            loop_->ready_.push_back(DoneCallback{shared_from_this(), std::move(c.fn), c.label, std::move(c.user)});
        }
    }

    // --trace: one note per done-callback scheduled, the step between a result and a task's wake-up.
    void trace_scheduled(const Entry& e) const {
        std::string who = "callback";
        if (e.task != nullptr) {
            who = task_step_name(e.task);
        } else if (e.callback && e.callback->user) {
            who = e.callback->user->name;
        } else if (e.callback && e.callback->label != nullptr) {
            who = e.callback->label;
        }
        loop_->tracer()->note(name_, "call_soon(" + who + ")");
    }

    EventLoop* loop_;
    std::shared_ptr<Reporter> reporter_;   // set with an exception: who hears 'never retrieved'
    std::string name_;
    bool is_task_;
    State state_ = State::Pending;
    bool retrieved_ = true;
    std::exception_ptr exception_;
    std::string cancel_message_;
    // Most futures have exactly one registration, the task awaiting them: it is stored in place
    // (no allocation); any more go to the vector.
    Entry first_{};
    std::vector<Entry> more_;
    std::uint64_t last_id_ = 0;
};

/// What a Future<T> stores: T, or std::monostate for Future<void>.
template <typename T>
using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// The typed part of a future: its value.
template <typename T>
class FutureState : public FutureBase {
public:
    FutureState(EventLoop& loop, std::string name, bool is_task = false) : FutureBase(loop, std::move(name), is_task) {}

    void set_result(Stored<T> value) {
        if (done()) throw InvalidStateError(name() + ": set_result() on a future that is already done");
        value_ = std::move(value);
        finish_with_result();
    }

    /// The value, after the checks of rethrow_unless_result().
    const Stored<T>& result() {
        rethrow_unless_result();
        return *value_;
    }

private:
    std::optional<Stored<T>> value_;
};

class TaskBase;

// The handshake between an awaited Future and the Task running the awaiting coroutine, declared in
// event_loop.hpp and defined in task.hpp (include it whenever you await a Future): it registers the
// task's wake-up on the future and returns the task, or throws when no task is running or the task
// would await itself (C31).
/// After the wake-up: throws CancelledError into the coroutine when the task was asked to cancel
/// while its future was already done (C27). Defined in task.hpp.
void deliver_pending_cancel(TaskBase* task);

/// The awaiter behind `co_await future`.
template <typename T>
struct FutureAwaiter {
    // A plain pointer: the Future being awaited is the co_await's operand, alive until it resumes.
    FutureState<T>* state;
    TaskBase* task = nullptr;

    // Already done: no suspension at all (C20).
    bool await_ready() const noexcept { return state->done(); }
    void await_suspend(std::coroutine_handle<> waiting) { task = suspend_current_task_on(*state, waiting); }
    T await_resume() {
        if (task != nullptr) deliver_pending_cancel(task);
        if constexpr (std::is_void_v<T>) {
            state->result();
        } else {
            return state->result();
        }
    }
};

} // namespace detail

/// A result that arrives later: pending, then finished (with a value or an exception) or cancelled.
/// See the file comment. Copies share one future.
/// @tparam T the result type; void for a future that only says "done".
template <typename T>
class Future {
public:
    /// A pending future on the running loop (throws RuntimeError outside a running loop).
    Future() : Future(get_running_loop()) {}
    /// A pending future on `loop`; `name` appears in reports and traces.
    explicit Future(EventLoop& loop, std::string name = "Future")
        : state_(std::make_shared<detail::FutureState<T>>(loop, std::move(name))) {}
    /// Wraps existing shared state (tasks and gather make their own states).
    explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

    /// True once finished or cancelled.
    [[nodiscard]] bool done() const { return state_->done(); }
    /// True once cancelled.
    [[nodiscard]] bool cancelled() const { return state_->cancelled(); }

    /// The value. Throws InvalidStateError while pending, CancelledError when cancelled, and the
    /// stored exception when there is one (which then counts as retrieved).
    T result() const {
        if constexpr (std::is_void_v<T>) {
            state_->result();
        } else {
            return state_->result();
        }
    }
    /// The stored exception, or null when the future has a value. Throws like result() for the other
    /// states.
    [[nodiscard]] std::exception_ptr exception() const { return state_->exception(); }

    /// Completes the future with `value` and schedules its callbacks. InvalidStateError if done.
    template <typename V = T>
        requires(!std::is_void_v<V>)
    void set_result(V value) const {
        state_->set_result(std::move(value));
    }
    /// Completes a Future<void>.
    template <typename V = T>
        requires std::is_void_v<V>
    void set_result() const {
        state_->set_result(std::monostate{});
    }
    /// Completes the future with an exception. InvalidStateError if done.
    void set_exception(std::exception_ptr error) const { state_->set_exception(std::move(error)); }
    /// Convenience: `f.set_exception(std::runtime_error("boom"))`.
    template <typename E>
        requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
    void set_exception(E error) const {
        state_->set_exception(std::make_exception_ptr(std::move(error)));
    }

    /// Cancels a pending future (returns true); a done future is left alone (returns false).
    bool cancel(std::string message = {}) const { return state_->cancel(std::move(message)); }

    /// Runs `fn(future)` once the future is done, through call_soon (also when it is done already).
    /// Function pointers and other equality-comparable callables can later be removed by value;
    /// any callable can be removed by the returned id.
    template <typename F>
        requires std::invocable<F&, const Future<T>&>
    CallbackId add_done_callback(F fn, std::string name = "done callback") const {
        auto user = std::make_unique<detail::UserCallback>(detail::UserCallback{std::move(name), nullptr, nullptr});
        if constexpr (std::equality_comparable<F>) {
            user->key_type = &typeid(F);
            user->key = std::make_shared<F>(fn);
        }
        return state_->add_user_callback(
            [fn = std::move(fn)](detail::FutureBase& base) mutable {
                fn(Future<T>(std::static_pointer_cast<detail::FutureState<T>>(base.shared_from_this())));
            },
            std::move(user));
    }
    /// Removes every registration of `fn` (compared with ==) and returns how many there were (C19).
    template <typename F>
        requires std::equality_comparable<F>
    std::size_t remove_done_callback(F fn) const {
        return state_->remove_matching(fn);
    }
    /// Removes the registration `id`; returns 1 if it was there, else 0.
    std::size_t remove_done_callback(CallbackId id) const { return state_->remove_callback(id) ? 1 : 0; }

    /// `co_await future` inside a task: the value, without suspending when done (C20).
    detail::FutureAwaiter<T> operator co_await() const { return detail::FutureAwaiter<T>{state_.get(), nullptr}; }

    /// The shared state (library code: tasks, gather, wait_for).
    [[nodiscard]] const std::shared_ptr<detail::FutureState<T>>& state() const { return state_; }
    /// The name given at creation.
    [[nodiscard]] const std::string& name() const { return state_->name(); }
    /// Two handles to the same future.
    friend bool operator==(const Future& a, const Future& b) { return a.state_ == b.state_; }

private:
    std::shared_ptr<detail::FutureState<T>> state_;
};

} // namespace looplab::stage05
