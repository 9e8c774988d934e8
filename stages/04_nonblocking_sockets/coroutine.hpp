/// @file
/// @brief Coroutine: a C++20 coroutine that yields *events* to whoever drives it.
///
/// **What this file adds.** Stage 03's coroutines waited for bytes with `co_await Read{fd, amount}`,
/// and the loop did the reading for them. That cannot work for sockets: a server also *writes*, and
/// accept() and connect() are neither reads nor writes. So here the events say only what a coroutine
/// waits for, *readiness*: `co_await Readable{fd}` ("wake me when a read would not block") and
/// `co_await Writable{fd}` ("... when a write would not block"). The coroutine makes the call itself:
/// it tries, and awaits readiness only when the kernel says EAGAIN ("not yet"); sockets.hpp is built
/// from that one pattern. Reading a file and receiving from a socket were the same kind of event all
/// along: Read was Readable plus a read() the loop made for you. The loop still *refuses* through
/// throw_into() (an fd select() cannot watch); it no longer *answers* with bytes, so send() carries
/// nothing in and the `co_await` of an event has no value. Everything else is stage 03's.
///
/// Coroutine is the C++ counterpart of a Python coroutine object:
///  - calling a coroutine function runs none of its body; it makes a Coroutine (lazy, like Python);
///  - the driver calls send(), which resumes the coroutine until it awaits an event, and returns
///    that event; or returns nothing when the body has ended, and then result() holds what it
///    `co_return`ed; an exception that escaped the body is rethrown by send();
///  - send() says "what you awaited has happened"; throw_into(error) raises `error` at the
///    `co_await` instead;
///  - `co_await other_coroutine` runs `other_coroutine` to its end and evaluates to its result,
///    and every event it awaits on the way passes *up unchanged* to the driver: Python's `await`
///    (or `yield from`). This is how a helper such as sleep(), or sockets.hpp's recv(), can be a
///    coroutine of its own.
///
/// **How nesting stays flat.** As in stage 01, the outermost Coroutine remembers the innermost
/// active frame (the *leaf*) and send() resumes it directly; the event goes into one slot that the
/// whole chain shares. Awaiting a sub-coroutine jumps into it and a finished sub-coroutine jumps back
/// to its parent, both by *symmetric transfer* (await_suspend returns the handle to run next), so the
/// stack does not grow with the depth of the chain. Destroying an abandoned chain goes from the leaf
/// outwards in a loop, for the same reason.
///
/// **What it leaves out.** Any event but Sleep, Readable and Writable: the promise's await_transform()
/// accepts only those and other Coroutines, so awaiting anything else is a compile error, not a hang.
/// Callbacks, Futures and Tasks that await each other: stage 05.
///
/// **What it costs.** One heap allocation per coroutine call (its frame), counted by frames.hpp;
/// one indirect jump per resume; a copy of each event (an int and a tag) into the shared slot. The
/// bytes no longer pass through the loop at all: the coroutine reads into its own buffer.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "looplab/clock.hpp"
#include "looplab/frames.hpp"

namespace looplab::inline stage04 {

/// The event "wake me at `until`": an instant on the loop's clock (not a delay, so that waking late
/// never pushes the next deadline later). Awaiting it suspends the coroutine; the loop resumes it
/// once its clock reads `until` or later.
struct Sleep {
    Duration until;  ///< the instant to wake at
};

/// The event "wake me when `fd` is readable": when select() says a read(), recv() or accept() on it
/// would return without waiting (with data, end of file, a new connection, or an error). The loop
/// makes no call on the fd; the coroutine does, after the `co_await`. Readiness is a hint, not a
/// promise: the call may still say EAGAIN (another reader took the data first), so the coroutine
/// tries again in a loop.
struct Readable {
    int fd;  ///< the file descriptor to watch
};

/// The event "wake me when `fd` is writable": when select() says there is room in its send buffer
/// (or a connect() in progress has finished, well or badly). As for Readable, the coroutine makes the
/// call itself.
struct Writable {
    int fd;  ///< the file descriptor to watch
};

/// Everything a coroutine can wait for in this stage. A std::variant, visited exhaustively by the
/// loop: a new alternative is a compile error until the loop handles it.
using Event = std::variant<Sleep, Readable, Writable>;

namespace detail {
/// False for every type, but only once instantiated: `static_assert(unhandled<E>)` in the last
/// `else` of a visit fails to compile exactly when an event type has no case.
template <typename E>
inline constexpr bool unhandled = false;
} // namespace detail

/// "Sleep until 0.300s", "Readable fd 5": how an event reads in the trace.
inline std::string describe(const Event& event) {
    return std::visit([](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, Sleep>) return "Sleep until " + format_time(e.until);
        else if constexpr (std::is_same_v<E, Readable>) return "Readable fd " + std::to_string(e.fd);
        else if constexpr (std::is_same_v<E, Writable>) return "Writable fd " + std::to_string(e.fd);
        else static_assert(detail::unhandled<E>, "describe() does not handle this event type");
    }, event);
}

/// Misuse of a coroutine: resuming one that has finished, or reading a result it does not have.
class CoroutineError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

template <typename R>
class Coroutine;

namespace detail {

struct PromiseBase;

/// State shared by every frame of one chain of awaits, owned by the outermost promise.
struct Channel {
    std::optional<Event> event;      ///< what the leaf awaited; taken by send()
    std::exception_ptr thrown_in;    ///< what throw_into() passes in
    PromiseBase* leaf = nullptr;     ///< the innermost active frame: what send() resumes
    int depth = 0;                   ///< how many frames below the outermost one the leaf is
};

/// Awaiting an event: put it in the chain's slot and suspend. Returning void from await_suspend
/// means "go back to whoever called resume()", which is send(), which hands the event to the loop.
/// When the loop resumes us, the event has happened and the `co_await` has no value; or the error the
/// loop threw in is raised here.
template <typename E>
struct EventAwaiter {
    Channel* channel;  ///< where the event goes
    E event;           ///< the event itself
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) noexcept { channel->event = Event{std::move(event)}; }
    void await_resume() const {
        if (auto e = std::exchange(channel->thrown_in, nullptr)) std::rethrow_exception(e);
    }
};

/// The part of the promise that does not depend on the return type, so that coroutines returning
/// different types can await each other.
struct PromiseBase {
    Channel own_channel;                 ///< used while this frame is the outermost one
    Channel* channel = &own_channel;     ///< the chain's channel (the outermost frame's)
    PromiseBase* parent = nullptr;       ///< the frame awaiting us; null for the outermost
    std::coroutine_handle<> self;        ///< our own frame, type-erased, to resume it
    std::exception_ptr error;            ///< an exception that escaped our body

    // Every frame is counted, so tests can prove each one is freed exactly once.
    static void* operator new(std::size_t size) { return frames::allocate(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { frames::deallocate(frame, size); }

    /// Lazy: the body starts at the first send(), as a Python coroutine does. An error thrown in
    /// before that is raised before the first line of the body.
    auto initial_suspend() noexcept {
        struct Start {
            PromiseBase* promise;   // not the channel: a sub-coroutine is linked to its parent's later
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<>) const noexcept {}
            void await_resume() const {
                if (auto e = std::exchange(promise->channel->thrown_in, nullptr)) std::rethrow_exception(e);
            }
        };
        return Start{this};
    }

    /// Kept, and rethrown to whoever resumed us: send()'s caller for the outermost frame, the
    /// awaiting coroutine (which may catch it) for an inner one.
    void unhandled_exception() noexcept { error = std::current_exception(); }

    /// When the body ends, jump back to the awaiting frame (symmetric transfer), or return to send().
    /// The frame stays suspended at its end, so its result can be read, until its owner destroys it.
    auto final_suspend() noexcept {
        struct Final {
            PromiseBase* promise;
            bool await_ready() const noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<>) const noexcept {
                if (PromiseBase* p = promise->parent) {
                    promise->channel->leaf = p;
                    promise->channel->depth -= 1;
                    return p->self;
                }
                return std::noop_coroutine();
            }
            void await_resume() const noexcept {}
        };
        return Final{this};
    }

    /// `co_await Sleep{...}`: hand the event up to the driver.
    EventAwaiter<Sleep> await_transform(Sleep sleep) { return {channel, sleep}; }
    /// `co_await Readable{...}`: hand the event up to the driver.
    EventAwaiter<Readable> await_transform(Readable readable) { return {channel, readable}; }
    /// `co_await Writable{...}`: hand the event up to the driver.
    EventAwaiter<Writable> await_transform(Writable writable) { return {channel, writable}; }
    /// `co_await coroutine`: run it as part of this chain (see Coroutine::Awaiter).
    template <typename R>
    typename Coroutine<R>::Awaiter await_transform(Coroutine<R>&& sub) {
        return typename Coroutine<R>::Awaiter(std::move(sub));
    }
};

/// `co_return v;` for a value, `co_return;` for void: C++ forbids both in one promise, hence two.
template <typename R>
struct Promise : PromiseBase {
    std::optional<R> result;
    void return_value(R value) { result = std::move(value); }
};

template <>
struct Promise<void> : PromiseBase {
    void return_void() noexcept {}
};

} // namespace detail

/// A coroutine that awaits events, driven by send(): a Python coroutine object in C++20.
/// See the file comment for the whole story.
/// @tparam R what `co_return` gives back (void: nothing). The loop runs `Coroutine<>` tasks;
///           helpers that compute something return a value to the coroutine that awaits them.
template <typename R = void>
class Coroutine {
public:
    /// The compiler looks for this name: it builds one in every coroutine frame.
    struct promise_type : detail::Promise<R> {
        /// Called once, before the body: makes the Coroutine the caller receives.
        Coroutine get_return_object() {
            auto h = std::coroutine_handle<promise_type>::from_promise(*this);
            this->self = h;
            this->channel->leaf = this;   // alone, a coroutine is its own innermost frame
            return Coroutine(h);
        }
    };
    /// The typed handle of a coroutine frame.
    using Handle = std::coroutine_handle<promise_type>;

    /// An empty coroutine (owns no frame).
    Coroutine() = default;
    /// Takes the frame from `other`.
    Coroutine(Coroutine&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
    /// Destroys our frames, then takes `other`'s.
    Coroutine& operator=(Coroutine&& other) noexcept {
        if (this != &other) {
            destroy();
            frame_ = std::exchange(other.frame_, {});
        }
        return *this;
    }
    Coroutine(const Coroutine&) = delete;
    Coroutine& operator=(const Coroutine&) = delete;
    /// Destroys every frame of the chain, innermost first.
    ~Coroutine() { destroy(); }

    /// Resumes the innermost suspended frame: the event it awaited has happened. Returns the event
    /// the coroutine now waits for, or nothing when the body has ended (then result() has its
    /// value). An exception that escaped the body is rethrown here, once. Resuming a finished
    /// coroutine is a CoroutineError (Python raises "cannot reuse already awaited coroutine").
    std::optional<Event> send() {
        if (!frame_) throw CoroutineError("send() on an empty Coroutine");
        if (frame_.done()) throw CoroutineError("send() on a coroutine that has finished");
        return resume();
    }

    /// Like send(), but `error` is raised at the `co_await` the coroutine is suspended at, where it
    /// may catch it (Python's `coroutine.throw()`). Into a coroutine that has not started, it is raised
    /// before the first line of its body.
    std::optional<Event> throw_into(std::exception_ptr error) {
        if (!frame_) throw CoroutineError("throw_into() on an empty Coroutine");
        if (frame_.done()) throw CoroutineError("throw_into() on a coroutine that has finished");
        frame_.promise().channel->thrown_in = std::move(error);
        return resume();
    }

    /// True once the body has ended (returned or thrown); an empty Coroutine counts as done.
    [[nodiscard]] bool done() const { return !frame_ || frame_.done(); }
    /// How many frames below this one the coroutine is suspended (0: in its own body). The loop
    /// prints it in the trace, so nesting can be seen.
    [[nodiscard]] int depth() const { return frame_ ? frame_.promise().channel->depth : 0; }

    /// What the body `co_return`ed. Asking before it has returned is a CoroutineError.
    template <typename V = R>
        requires(!std::is_void_v<V>)
    [[nodiscard]] const V& result() const {
        if (!frame_ || !frame_.done() || !frame_.promise().result)
            throw CoroutineError("result(): the coroutine has not returned (yet)");
        return *frame_.promise().result;
    }

    /// The awaiter behind `co_await sub` inside another Coroutine: links `sub` into the awaiting
    /// chain, jumps into it, and evaluates to its result (or rethrows its exception) when it ends.
    class Awaiter {
    public:
        /// Takes ownership of `sub`'s frame.
        explicit Awaiter(Coroutine sub) : sub_(std::exchange(sub.frame_, {})) {}
        /// Takes over `other`'s sub-coroutine (the compiler may move the awaiter into the frame).
        Awaiter(Awaiter&& other) noexcept : sub_(std::exchange(other.sub_, {})), owned_(other.owned_) {}
        Awaiter(const Awaiter&) = delete;
        Awaiter& operator=(const Awaiter&) = delete;
        Awaiter& operator=(Awaiter&&) = delete;
        /// Destroys the sub-coroutine's frame if we own it (it finished, or never started).
        ~Awaiter() {
            if (sub_ && owned_) sub_.destroy();
        }

        /// Never ready: even a sub-coroutine with nothing to wait for has a body to run.
        bool await_ready() const noexcept { return false; }

        /// Link the sub-coroutine below the awaiting frame and jump into it (symmetric transfer).
        /// From now on send() resumes it directly, and its events go into the shared channel.
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> outer) {
            if (!sub_) throw CoroutineError("co_await on an empty Coroutine");
            detail::PromiseBase& parent = outer.promise();
            detail::PromiseBase& child = sub_.promise();
            child.channel = parent.channel;
            child.parent = &parent;
            parent.channel->leaf = &child;
            parent.channel->depth += 1;
            owned_ = false;   // while linked, the chain's owner destroys it (innermost first)
            return sub_;
        }

        /// The sub-coroutine has ended: its result is the value of `co_await`; an exception that
        /// escaped it is raised here, in the awaiting coroutine, which may catch it.
        R await_resume() {
            owned_ = true;   // back in our hands: we destroy the finished frame
            if (auto e = std::exchange(sub_.promise().error, nullptr)) std::rethrow_exception(e);
            if constexpr (!std::is_void_v<R>) return std::move(*sub_.promise().result);
        }

    private:
        Handle sub_;
        bool owned_ = true;
    };

private:
    explicit Coroutine(Handle h) : frame_(h) {}

    /// The one place a coroutine runs: resume the innermost frame until some frame of the chain
    /// awaits an event (it is in the channel) or the outermost body ends.
    std::optional<Event> resume() {
        detail::Channel& channel = *frame_.promise().channel;
        channel.event.reset();
        channel.leaf->self.resume();
        if (frame_.done()) {
            if (auto e = std::exchange(frame_.promise().error, nullptr)) std::rethrow_exception(e);
            return std::nullopt;
        }
        return std::move(channel.event);
    }

    /// Destroys the chain from the innermost frame outwards: a loop, where destroying each frame
    /// from its parent would recurse once per level and overflow on a deep chain.
    void destroy() {
        if (!frame_) return;
        detail::PromiseBase* p = frame_.promise().channel->leaf;
        while (p != nullptr && p != &frame_.promise()) {
            detail::PromiseBase* parent = p->parent;
            p->self.destroy();
            p = parent;
        }
        frame_.destroy();
        frame_ = {};
    }

    Handle frame_{};
};

/// A helper coroutine that waits `delay` from now on `clock`, in two halves: each half is a
/// coroutine of its own that awaits a Sleep. The loop never sees half_sleep() or sleep(): it only
/// sees the Sleep events, passed up unchanged through two levels of co_await. That is the point of
/// this helper: `--trace` shows the events arriving from two frames down.
/// The clock is passed by pointer (a coroutine's parameters are copied into its frame, and a
/// reference parameter would dangle if the caller's object died first; the pointer says "this must
/// outlive the sleep" out loud).
Coroutine<> sleep(const Clock* clock, Duration delay);

namespace detail {
/// One half of sleep(): awaits a single Sleep event.
inline Coroutine<> half_sleep(const Clock* clock, Duration delay) { co_await Sleep{clock->now() + delay}; }
} // namespace detail

inline Coroutine<> sleep(const Clock* clock, Duration delay) {
    const Duration first = delay / 2;
    co_await detail::half_sleep(clock, first);
    co_await detail::half_sleep(clock, delay - first);
}

} // namespace looplab::stage04
