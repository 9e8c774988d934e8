/// @file
/// @brief Future<T>: a slot for a result that arrives later, and the callbacks to run when it does.
///
/// **What this file adds.** How a callback hands a *value* to whoever waits. Once set (or cancelled),
/// a Future schedules each done-callback with call_soon(), in registration order (C17, C18), never in
/// the middle of the code that completed it. Awaited when done, it gives its value without suspending
/// (C20); when pending, the awaiting Task adds its wake-up as a done-callback (task.hpp).
/// ```
///  PENDING --set_result / set_exception--> FINISHED
///     +------------- cancel() -----------> CANCELLED   (result() throws CancelledError)
/// ```
/// It leaves PENDING once (C15, C16). Dying with an exception nobody looked at, it reports "Future
/// exception was never retrieved" (C21) at once; Python waits for its collector.
///
/// **What it leaves out.** Thread safety, move-only results (result() copies). **What it costs.** A
/// shared object; per done-callback a vector entry, then a call_soon() Handle. A production runtime
/// keeps its one usual waiter, a task, in the future and wakes it without a Handle (stage 09).
#pragma once

#include <concepts>
#include <coroutine>
#include <type_traits>
#include <typeinfo>
#include <variant>

#include "event_loop.hpp"

namespace looplab::inline stage08 {

/// Identifies one registration of a done-callback, for remove_done_callback().
struct CallbackId {
    std::uint64_t value = 0;   ///< unique within its future
};

namespace detail {

/// What every Future has, whatever its result type: state, exception, callbacks, reports.
class FutureBase : public std::enable_shared_from_this<FutureBase> {
public:
    enum class State { Pending, Cancelled, Finished };   // the three states of the file comment

    FutureBase(EventLoop& loop, std::string name, bool is_task) : loop_(&loop), name_(std::move(name)), is_task_(is_task) {}
    FutureBase(const FutureBase&) = delete;   // shared, never copied
    /// The C21 / C33 report: an exception nobody retrieved dies with its future.
    virtual ~FutureBase() {
        if (exception_ && !retrieved_)
            reporter_->report({is_task_ ? "Task exception was never retrieved" : "Future exception was never retrieved",
                               exception_, name_});
    }

    [[nodiscard]] bool done() const { return state_ != State::Pending; }
    [[nodiscard]] bool cancelled() const { return state_ == State::Cancelled; }
    [[nodiscard]] EventLoop& loop() const { return *loop_; }
    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& cancel_message() const { return cancel_message_; }
    [[nodiscard]] bool has_exception() const { return state_ == State::Finished && exception_ != nullptr; }

    /// Virtual: a Task passes the request to its coroutine.
    virtual bool cancel(std::string message) { return cancel_now(std::move(message)); }
    /// Cancels this future itself, now (C16).
    bool cancel_now(std::string message) {
        if (state_ != State::Pending) return false;
        cancel_message_ = std::move(message);
        finish(State::Cancelled);
        return true;
    }

    void set_exception(std::exception_ptr error) {
        if (!error) throw std::invalid_argument("set_exception() needs an exception");
        if (state_ != State::Pending) throw InvalidStateError(name_ + ": set_exception() on a future that is already done");
        exception_ = std::move(error);
        reporter_ = loop_->reporter_;   // for the C21 report, which may come after the loop is gone
        finish(State::Finished);
    }

    /// The stored exception (null after a result); marks it retrieved. Throws like result() otherwise.
    std::exception_ptr exception() { return outcome("exception"); }
    /// Marks the exception as looked at, so no report is made (gather and shield do this for their children).
    void mark_retrieved() { retrieved_ = true; }

    /// Registers `fn`, called with this future once it is done (through call_soon, also when it is done
    /// already: C18). `name` is for traces and reports; `key` (of type `key_type`) for remove_matching().
    CallbackId add_callback(std::function<void(FutureBase&)> fn, std::string name,
                            const std::type_info* key_type = nullptr, std::shared_ptr<const void> key = nullptr) {
        const CallbackId id{++last_id_};
        callbacks_.push_back(Callback{id, std::move(fn), std::move(name), key_type, std::move(key)});
        if (done()) schedule_callbacks();
        return id;
    }
    /// Removes the registration `id`; returns whether it was there.
    bool remove_callback(CallbackId id) {
        return std::erase_if(callbacks_, [&](const Callback& c) { return c.id.value == id.value; }) > 0;
    }
    /// Removes every registration whose key equals `fn` (C19); returns how many.
    template <typename F>
    std::size_t remove_matching(const F& fn) {
        return std::erase_if(callbacks_, [&](const Callback& c) {
            return c.key_type != nullptr && *c.key_type == typeid(F) && *static_cast<const F*>(c.key.get()) == fn;
        });
    }

protected:
    void finish(State to) { state_ = to; schedule_callbacks(); }   ///< Leaves PENDING; schedules the callbacks.
    /// Throws CancelledError when cancelled, InvalidStateError while pending; else returns the
    /// exception (null after a result), which now counts as retrieved.
    std::exception_ptr outcome(const char* what) {
        if (state_ == State::Cancelled) throw CancelledError(cancel_message_);
        if (state_ == State::Pending) throw InvalidStateError(name_ + ": " + what + " is not set (the future is pending)");
        retrieved_ = true;
        return exception_;
    }

private:
    struct Callback {
        CallbackId id;
        std::function<void(FutureBase&)> fn;
        std::string name;
        const std::type_info* key_type;     // for remove_done_callback(fn): the callable's type (null:
        std::shared_ptr<const void> key;    // not comparable, removable by id only) and a copy of it
    };

    // One call_soon() per callback, in registration order (C17); each keeps the future alive until it
    // has run. A closed loop will never run them (close() destroying a task may complete a Future).
    void schedule_callbacks() {
        std::vector<Callback> callbacks = std::exchange(callbacks_, {});
        if (loop_->is_closed()) return;
        for (Callback& c : callbacks) {
            // --trace: the step between a result and a task's wake-up (the recv-chain demo shows it).
            if (loop_->tracing()) loop_->tracer()->note(name_, "call_soon(" + c.name + ")");
            loop_->call_soon([self = shared_from_this(), fn = std::move(c.fn)] { fn(*self); }, std::move(c.name));
        }
    }

    EventLoop* loop_;
    std::shared_ptr<Reporter> reporter_;   // set with an exception: who hears 'never retrieved'
    std::string name_;
    bool is_task_;
    State state_ = State::Pending;
    bool retrieved_ = false;   // the exception, if any, was looked at
    std::exception_ptr exception_;
    std::string cancel_message_;
    std::vector<Callback> callbacks_;
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
        this->finish(FutureBase::State::Finished);
    }

    /// The value, or the exception rethrown; throws like exception() when there is neither.
    const Stored<T>& result() {
        if (std::exception_ptr e = this->outcome("result")) std::rethrow_exception(e);
        return *value_;
    }

private:
    std::optional<Stored<T>> value_;
};

/// The awaiter behind `co_await future`; suspending is a handshake with the Task, so task.hpp defines it.
template <typename T> struct FutureAwaiter;

} // namespace detail

/// A result that arrives later: pending, then finished or cancelled (see the file comment). Copies share it.
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

    [[nodiscard]] bool done() const { return state_->done(); }             ///< Finished or cancelled.
    [[nodiscard]] bool cancelled() const { return state_->cancelled(); }   ///< True once cancelled.

    /// The value. Throws InvalidStateError while pending, CancelledError if cancelled, or the stored exception.
    T result() const { return static_cast<T>(state_->result()); }
    /// The stored exception, or null when the future has a value; throws like result() otherwise.
    [[nodiscard]] std::exception_ptr exception() const { return state_->exception(); }

    /// Completes the future with `value` and schedules its callbacks. InvalidStateError if done.
    template <typename V = T> requires(!std::is_void_v<V>)
    void set_result(V value) const { state_->set_result(std::move(value)); }
    /// Completes a Future<void>.
    template <typename V = T> requires std::is_void_v<V>
    void set_result() const { state_->set_result(std::monostate{}); }
    /// Completes the future with an exception. InvalidStateError if done.
    void set_exception(std::exception_ptr error) const { state_->set_exception(std::move(error)); }
    /// Convenience: `f.set_exception(std::runtime_error("boom"))`.
    template <typename E> requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
    void set_exception(E error) const { state_->set_exception(std::make_exception_ptr(std::move(error))); }

    /// Cancels a pending future (returns true); a done future is left alone (returns false).
    bool cancel(std::string message = {}) const { return state_->cancel(std::move(message)); }

    /// Runs `fn(future)` once the future is done, through call_soon (also when it is done already).
    /// Removable by the returned id, and, when `fn` is equality-comparable, by value.
    template <typename F> requires std::invocable<F&, const Future<T>&>
    CallbackId add_done_callback(F fn, std::string name = "done callback") const {
        const std::type_info* key_type = nullptr;
        std::shared_ptr<const void> key;
        if constexpr (std::equality_comparable<F>) { key_type = &typeid(F); key = std::make_shared<const F>(fn); }
        return state_->add_callback(
            [fn = std::move(fn)](detail::FutureBase& base) mutable {
                fn(Future<T>(std::static_pointer_cast<detail::FutureState<T>>(base.shared_from_this())));
            },
            std::move(name), key_type, std::move(key));
    }
    /// Removes every registration of `fn` (compared with ==) and returns how many there were (C19).
    template <typename F> requires std::equality_comparable<F>
    std::size_t remove_done_callback(F fn) const { return state_->remove_matching(fn); }
    /// Removes the registration `id`; returns 1 if it was there, else 0.
    std::size_t remove_done_callback(CallbackId id) const { return state_->remove_callback(id) ? 1 : 0; }

    /// `co_await future` inside a task: the value, without suspending when done (C20).
    detail::FutureAwaiter<T> operator co_await() const { return {state_.get()}; }

    /// The shared state (library code: tasks, gather, wait_for).
    [[nodiscard]] const std::shared_ptr<detail::FutureState<T>>& state() const { return state_; }
    [[nodiscard]] const std::string& name() const { return state_->name(); }   ///< The name given at creation.
    /// Two handles to the same future.
    friend bool operator==(const Future& a, const Future& b) { return a.state_ == b.state_; }

private:
    std::shared_ptr<detail::FutureState<T>> state_;
};

} // namespace looplab::stage08
