/// @file
/// @brief Coroutine<T>: a lazy coroutine that runs inline when awaited, by symmetric transfer.
///
/// **What this file adds.** Calling a Coroutine<T> function only makes a suspended frame (like calling
/// an `async def`). `co_await child(...)` runs it *inline*, a function call and not a scheduling point:
/// only a pending Future (or sleep(0)) gives the loop back, and then the Task resumes exactly the
/// innermost frame (task.hpp). create_task() runs one concurrently (the `await-vs-task` demo). The
/// jumps in and out are symmetric transfers, tail calls (GCC needs -foptimize-sibling-calls): with
/// `child.resume()` a million `co_await ready()` would pile up a million stack frames; a test checks.
///
/// **What it leaves out.** send()/throw()/close() (the Task is the only driver). **What it costs.** A
/// heap frame per call (counted by frames::allocate, so tests see each freed once), two indirect jumps
/// per await; a suspended chain's frames own each other, so tearing it down is recursive.
#pragma once

#include <coroutine>
#include <cstddef>
#include <type_traits>

#include "errors.hpp"
#include "looplab/frames.hpp"

namespace looplab::inline stage08 {

namespace detail {

/// The promise parts that do not depend on the result type.
struct CoroutinePromiseBase {
    std::coroutine_handle<> continuation;   ///< who awaits us: where final_suspend jumps to
    std::exception_ptr error;               ///< an exception that escaped the body
    bool started = false;                   ///< awaited (or driven by a task) once already

    // Counted frames. Plain (unsized) operator delete: clang 14 does not call the sized form.
    static void* operator new(std::size_t size) { return frames::allocate(size); }
    static void operator delete(void* frame) noexcept { frames::deallocate(frame, 0); }

    /// Lazy: calling a coroutine function runs none of its body.
    std::suspend_always initial_suspend() noexcept { return {}; }

    /// At the end, jump back to the awaiting frame, or (a task's outermost coroutine) return to step().
    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> self) const noexcept {
            if (auto next = self.promise().continuation) return next;
            return std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }

    void unhandled_exception() noexcept { error = std::current_exception(); }   ///< Kept, and rethrown in whoever awaits us.
};

template <typename T>
struct CoroutinePromise : CoroutinePromiseBase {
    std::optional<T> value;   ///< what co_return left
    void return_value(T v) { value = std::move(v); }
};

template <>
struct CoroutinePromise<void> : CoroutinePromiseBase {
    void return_void() noexcept {}
};

} // namespace detail

/// A lazy coroutine returning T; awaiting it runs it inline (see the file comment).
template <typename T = void>
class Coroutine {
public:
    /// The compiler looks for this name.
    struct promise_type : detail::CoroutinePromise<T> {
        /// Wraps the new frame.
        Coroutine get_return_object() { return Coroutine(std::coroutine_handle<promise_type>::from_promise(*this)); }
    };
    using Handle = std::coroutine_handle<promise_type>;   ///< The typed frame handle.

    Coroutine() = default;   ///< An empty coroutine (owns no frame).
    Coroutine(Coroutine&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}   ///< Takes the frame from `other`.
    /// Takes `other`'s frame; ours goes with the by-value parameter (it cannot be a copy: there is none).
    Coroutine& operator=(Coroutine other) noexcept { std::swap(frame_, other.frame_); return *this; }
    /// Destroys the frame (and, through its locals, any suspended child frames).
    ~Coroutine() { if (frame_) frame_.destroy(); }

    explicit operator bool() const { return static_cast<bool>(frame_); }   ///< True when this object owns a frame.
    [[nodiscard]] Handle handle() const { return frame_; }   ///< The frame (for the Task that drives an outermost coroutine).

    /// The awaiter of `co_await coro`: symmetric transfer in, and back out at the end.
    struct Awaiter {
        Handle frame;   ///< the child
        /// Never ready: even a child that will return at once must run first.
        bool await_ready() const noexcept { return false; }
        /// Remember who to come back to, then jump into the child.
        std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) {
            if (!frame) throw RuntimeError("co_await on an empty Coroutine");
            if (frame.promise().started) throw RuntimeError("cannot reuse an already awaited coroutine");
            frame.promise().started = true;
            frame.promise().continuation = awaiting;
            return frame;
        }
        /// The child's value, or its exception rethrown here, in the awaiting coroutine.
        T await_resume() {
            if (auto e = std::exchange(frame.promise().error, nullptr)) std::rethrow_exception(e);
            if constexpr (!std::is_void_v<T>) return std::move(*frame.promise().value);
        }
    };
    /// `co_await child(...)`: the frame stays owned by this object, which lives in the awaiting frame.
    Awaiter operator co_await() const& noexcept { return Awaiter{frame_}; }

private:
    explicit Coroutine(Handle h) : frame_(h) {}
    Handle frame_{};
};

} // namespace looplab::stage08
