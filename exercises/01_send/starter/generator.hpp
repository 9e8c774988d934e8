/// @file
/// @brief Generator: a C++20 coroutine that behaves like a Python generator.
///
/// **What this file adds.** handmade.hpp wrote a resumable function by hand: a struct that keeps the
/// locals as members and its position as a state number. A C++20 coroutine is the same thing, written
/// by the compiler: any function whose body says `co_yield`, `co_await` or `co_return` is cut at those
/// points, its locals move into a heap-allocated *frame*, and a `std::coroutine_handle` resumes it.
/// The compiler does the cutting; what the coroutine *means* is up to a library type, the return type,
/// whose nested `promise_type` answers the compiler's questions: should the body start at once (no:
/// `initial_suspend`), what does `co_yield v` do (store v and stop: `yield_value`), where does control
/// go when the body ends (`final_suspend`), where do escaping exceptions go (`unhandled_exception`).
///
/// Generator answers them the way Python does, with the same operations the classic explanations use:
///  - `next()` runs to the next `co_yield` and returns its value, or nothing once the body has ended;
///  - `send(v)` does the same, and `v` becomes the value of the suspended `co_yield` expression;
///  - `throw_into(e)` raises `e` *inside* the generator, at the suspended `co_yield`;
///  - `co_return v` leaves `v` for the caller: `result()`, Python's `StopIteration.value`;
///  - a range-for loop iterates the values;
///  - `co_await yield_from(sub)` is Python's `yield from sub`: values flow out, sent values and thrown
///    exceptions flow in, and the expression's value is what `sub` returned.
///
/// The template parameters follow Python's `typing.Generator[YieldType, SendType, ReturnType]`:
/// `Generator<int>` only yields ints; `Generator<double, double>` also receives doubles through
/// send(); `Generator<int, void, std::string>` yields ints and returns a string.
///
/// **How delegation stays flat.** A naive `yield from` resumes the outer generator, which resumes the
/// inner one, which resumes the next...: every value climbs the whole chain, so a chain N deep costs
/// O(N) stack and O(N) time per value. Here the outermost Generator remembers the *innermost* active
/// frame (the leaf) and resumes it directly; values go straight into the outermost generator's slot.
/// When an inner generator finishes, its `final_suspend` hands control to its parent by *symmetric
/// transfer* (returning the parent's handle from `await_suspend`), a jump rather than a call, so the
/// stack does not grow. Destroying a deep chain would recurse just as deep, so the outermost Generator
/// destroys the frames from the leaf outwards, in a loop.
///
/// **What it leaves out.** Python's `close()` (destroying a Generator destroys its frame and runs the
/// destructors of its locals, which is the C++ way to say the same) and a generator that
/// `co_await`s anything other than yield_from: a generator is driven by its caller, not by a loop.
/// Stage 02 is where coroutines start awaiting events.
///
/// **What it costs.** One heap allocation per generator (the frame; an optimising compiler may elide
/// it when it can prove the generator does not outlive its caller), one indirect jump per resume,
/// and a copy of each yielded value into the outermost generator's slot.
#pragma once

#include <coroutine>
#include <exception>
#include <iterator>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "looplab/frames.hpp"
#include "looplab/trace.hpp"

namespace looplab::inline stage01 {

/// Misuse of a generator that Python also refuses: sending a value into a generator that has not
/// started, or asking for the result of one that has not finished.
class GeneratorError : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

template <typename Y, typename S, typename R>
class Generator;
template <typename Y, typename S, typename R>
class YieldFrom;

namespace detail {

/// What a sent value is stored as: nothing for `S = void`, else an optional S (empty after next(),
/// as Python's `yield` evaluates to None after next()).
template <typename S>
using SentSlot = std::conditional_t<std::is_void_v<S>, std::monostate, std::optional<S>>;

template <typename Y, typename S>
struct PromiseBase;

/// State shared by every frame of one delegation chain, owned by the outermost promise. The inner
/// generators write their values here, so the caller finds them without walking the chain.
template <typename Y, typename S>
struct Channel {
    std::optional<Y> yielded;            ///< the value of the latest co_yield, taken by next()
    SentSlot<S> sent{};                  ///< the value send() passes in
    std::exception_ptr thrown_in;        ///< the exception throw_into() passes in
    PromiseBase<Y, S>* leaf = nullptr;   ///< the innermost active frame: what next() resumes
    int depth = 0;                       ///< how many yield_from levels are active (for the trace)
};

/// The part of a generator's promise that does not depend on its return type, so that generators
/// with different return types can delegate to each other.
template <typename Y, typename S>
struct PromiseBase {
    Channel<Y, S> own_channel;                  ///< used when this frame is the outermost one
    Channel<Y, S>* channel = &own_channel;      ///< the chain's channel (the outermost frame's)
    PromiseBase* parent = nullptr;              ///< who delegated to us; null for the outermost
    std::coroutine_handle<> self;               ///< our own frame, type-erased, to resume it
    std::exception_ptr error;                   ///< an exception that escaped our body

    // Every frame is counted, so tests can prove each one is freed exactly once.
    static void* operator new(std::size_t size) { return frames::allocate(size); }
    static void operator delete(void* frame, std::size_t size) noexcept { frames::deallocate(frame, size); }

    /// The body does not start until the first next(): creating a generator runs none of its code,
    /// exactly as in Python. When throw_into() is called before that, the exception is raised here,
    /// before the first line of the body.
    auto initial_suspend() noexcept {
        struct Start {
            PromiseBase* promise;
            bool await_ready() const noexcept { return false; }
            void await_suspend(std::coroutine_handle<>) const noexcept {}
            void await_resume() const {
                if (auto e = std::exchange(promise->channel->thrown_in, nullptr)) std::rethrow_exception(e);
            }
        };
        return Start{this};
    }

    /// `co_yield v`: store v where the caller will find it, then suspend. When the generator is
    /// resumed, the co_yield expression evaluates to the sent value, or throws what was thrown in.
    auto yield_value(Y value) {
        channel->yielded = std::move(value);
        struct Yielded {
            PromiseBase* promise;
            bool await_ready() const noexcept { return false; }
            // Returning void: suspend and go back to whoever called resume(), i.e. next()/send().
            void await_suspend(std::coroutine_handle<>) const noexcept {}
            auto await_resume() const {
                Channel<Y, S>& ch = *promise->channel;
                if (auto e = std::exchange(ch.thrown_in, nullptr)) std::rethrow_exception(e);
                if constexpr (!std::is_void_v<S>) return std::exchange(ch.sent, std::nullopt);
            }
        };
        return Yielded{this};
    }

    /// An exception escaping the body is kept and handed to whoever resumed us: the caller of
    /// next()/send() for the outermost frame, the delegating generator for an inner one.
    void unhandled_exception() noexcept { error = std::current_exception(); }

    /// When the body ends, control goes to the delegating generator, if any (symmetric transfer: a
    /// jump, not a nested call), or back to the caller of next(). The frame stays suspended at its
    /// end, so its result can be read, until its owner destroys it.
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
};

/// The return-type-dependent part: `co_return v;` for a value, `co_return;` (or falling off the
/// end) for void. C++ forbids a promise having both return_value and return_void, hence two bases.
template <typename Y, typename S, typename R>
struct Promise : PromiseBase<Y, S> {
    std::optional<R> result;
    void return_value(R value) { result = std::move(value); }
};

template <typename Y, typename S>
struct Promise<Y, S, void> : PromiseBase<Y, S> {
    void return_void() noexcept {}
};

/// "yielded 3" when Y can be printed, else "yielded a value".
template <typename Y>
std::string describe_yield(const std::optional<Y>& value) {
    if constexpr (requires(std::ostream& o, const Y& y) { o << y; }) {
        std::ostringstream s;
        s << "yielded " << *value;
        return s.str();
    } else {
        return "yielded a value";
    }
}

} // namespace detail

/// A coroutine that produces a sequence, driven by its caller: Python's generator in C++20.
/// See the file comment for the whole story.
/// @tparam Y what `co_yield` produces
/// @tparam S what send() passes in (void: nothing; then `co_yield` is a statement)
/// @tparam R what `co_return` leaves behind (void: nothing)
template <typename Y, typename S = void, typename R = void>
class Generator {
public:
    /// The compiler looks for this name: it builds one in every generator frame.
    struct promise_type : detail::Promise<Y, S, R> {
        /// Called once, before the body: makes the Generator the caller receives.
        Generator get_return_object() {
            auto h = std::coroutine_handle<promise_type>::from_promise(*this);
            this->self = h;
            this->channel->leaf = this;   // alone, a generator is its own innermost frame
            return Generator(h);
        }
    };
    /// The typed handle of a generator frame.
    using Handle = std::coroutine_handle<promise_type>;

    /// An empty generator (owns no frame).
    Generator() = default;
    /// Takes the frame from `other`.
    Generator(Generator&& other) noexcept : frame_(std::exchange(other.frame_, {})), started_(other.started_),
                                            tracer_(other.tracer_), name_(std::move(other.name_)) {}
    /// Destroys our frame, then takes `other`'s.
    Generator& operator=(Generator&& other) noexcept {
        if (this != &other) {
            destroy();
            frame_ = std::exchange(other.frame_, {});
            started_ = other.started_;
            tracer_ = other.tracer_;
            name_ = std::move(other.name_);
        }
        return *this;
    }
    Generator(const Generator&) = delete;
    Generator& operator=(const Generator&) = delete;
    /// Destroys every frame of the chain, innermost first (see the file comment).
    ~Generator() { destroy(); }

    /// Records each resume and suspend in `tracer` under `name` (the `--trace` view).
    Generator& traced(Tracer& tracer, std::string name) & {
        tracer_ = &tracer;
        name_ = std::move(name);
        return *this;
    }
    /// Rvalue form, so `auto g = make().traced(t, "g");` works.
    Generator&& traced(Tracer& tracer, std::string name) && { return std::move(traced(tracer, std::move(name))); }

    /// Runs to the next `co_yield` and returns its value; returns nothing once the body has ended
    /// (and keeps returning nothing: an exhausted generator stays exhausted). An exception escaping
    /// the body is rethrown here, once.
    std::optional<Y> next() { return resume("next()"); }

    /// Like next(), and `value` becomes the result of the `co_yield` the generator is suspended at.
    /// A generator that has not started is not suspended at any co_yield, so sending a value into it
    /// is a GeneratorError (Python raises TypeError). Call next() first to "prime" it.
    template <typename V = S>
        requires(!std::is_void_v<V>)
    std::optional<Y> send(V value) {
        // ===== WRITE THIS (exercise 01_send) ========================================================
        // Put `value` where the suspended co_yield will find it when it resumes (yield_value's
        // await_resume reads it), then resume the generator as next() does. Python's rules: a
        // generator that has not started yet cannot receive a value; one that has finished yields
        // nothing. exercises/01_send/README.md has the task and hints.
        (void)value;
        throw std::logic_error("Generator::send is not written yet (exercise 01_send)");
    }

    /// Raises `error` inside the generator, at the `co_yield` it is suspended at. The generator may
    /// catch it and yield again (the value is returned here), or let it escape (it is rethrown here).
    /// Into a generator that has not started, the error is raised before its first line; into one
    /// that has finished, straight back at the caller. Both are what Python's `throw()` does.
    std::optional<Y> throw_into(std::exception_ptr error) {
        if (!frame_ || frame_.done()) std::rethrow_exception(error);
        frame_.promise().channel->thrown_in = std::move(error);
        return resume("throw_into()");
    }
    /// Convenience: `gen.throw_into(Reset{})`.
    template <typename E>
    std::optional<Y> throw_into(E error) { return throw_into(std::make_exception_ptr(std::move(error))); }

    /// True once the body has ended (returned or thrown).
    [[nodiscard]] bool done() const { return !frame_ || frame_.done(); }
    /// True once next() has run at least once.
    [[nodiscard]] bool started() const { return started_; }

    /// What the body `co_return`ed: Python's `StopIteration.value`. Asking before the body has ended
    /// is a GeneratorError.
    template <typename V = R>
        requires(!std::is_void_v<V>)
    [[nodiscard]] const V& result() const {
        if (!frame_ || !frame_.done() || !frame_.promise().result)
            throw GeneratorError("result(): the generator has not returned (yet)");
        return *frame_.promise().result;
    }

    /// Range-for support: each step calls next().
    class iterator {
    public:
        using value_type = Y;               ///< what the iterator yields
        using difference_type = std::ptrdiff_t; ///< required of input iterators
        iterator() = default;               ///< required of input iterators
        /// Starts iterating `g` (calls next() once).
        explicit iterator(Generator* g) : gen_(g), current_(g->next()) {}
        /// The current value.
        const Y& operator*() const { return *current_; }
        /// Advances: calls next().
        iterator& operator++() {
            current_ = gen_->next();
            return *this;
        }
        /// Post-increment, required of input iterators.
        void operator++(int) { ++*this; }
        /// The end is reached when next() returned nothing.
        bool operator==(std::default_sentinel_t) const { return !current_.has_value(); }

    private:
        Generator* gen_ = nullptr;
        std::optional<Y> current_;
    };
    /// Starts a range-for loop.
    iterator begin() { return iterator(this); }
    /// The end of a range-for loop.
    std::default_sentinel_t end() { return {}; }

private:
    template <typename, typename, typename>
    friend class Generator;
    template <typename, typename, typename>
    friend class YieldFrom;

    explicit Generator(Handle h) : frame_(h) {}

    /// The one place a generator runs: resume the innermost active frame. It runs until some frame of
    /// the chain reaches a co_yield (the value is in the channel) or the outermost body ends.
    std::optional<Y> resume(const char* how) {
        if (!frame_ || frame_.done()) return std::nullopt;
        started_ = true;
        auto& channel = *frame_.promise().channel;
        channel.yielded.reset();
        if (tracer_ && tracer_->on())
            tracer_->resume(name_, std::string(how) + (channel.depth > 0 ? " into frame " + std::to_string(channel.depth) + " levels down" : ""));
        channel.leaf->self.resume();
        if (frame_.done()) {
            if (auto e = std::exchange(frame_.promise().error, nullptr)) {
                if (tracer_ && tracer_->on()) tracer_->error(name_, "an exception escaped the body");
                std::rethrow_exception(e);
            }
            if (tracer_ && tracer_->on()) tracer_->done(name_, "body ended");
            return std::nullopt;
        }
        if (tracer_ && tracer_->on()) tracer_->suspend(name_, detail::describe_yield(channel.yielded));
        return std::move(channel.yielded);
    }

    /// Destroys the chain from the innermost frame outwards: a loop, where the naive recursive
    /// destruction (each frame destroying the generator it delegates to) would need one stack frame
    /// per level and overflow on a deep chain.
    void destroy() {
        if (!frame_) return;
        detail::PromiseBase<Y, S>* p = frame_.promise().channel->leaf;
        while (p != nullptr && p != &frame_.promise()) {
            detail::PromiseBase<Y, S>* parent = p->parent;
            p->self.destroy();
            p = parent;
        }
        frame_.destroy();
        frame_ = {};
    }

    Handle frame_{};
    bool started_ = false;
    Tracer* tracer_ = nullptr;
    std::string name_;
};

/// The awaitable behind `co_await yield_from(sub)`; see yield_from().
template <typename Y, typename S, typename R>
class YieldFrom {
public:
    /// Takes ownership of `sub`.
    explicit YieldFrom(Generator<Y, S, R> sub) : sub_(std::move(sub.frame_)) { sub.frame_ = {}; }
    /// Takes the sub-generator from `other` (awaitables may be moved before they are awaited).
    YieldFrom(YieldFrom&& other) noexcept : sub_(std::exchange(other.sub_, {})), owned_(other.owned_) {}
    YieldFrom(const YieldFrom&) = delete;
    YieldFrom& operator=(const YieldFrom&) = delete;
    YieldFrom& operator=(YieldFrom&&) = delete;
    /// Destroys the sub-generator's frame if we still own it (it finished, or was never started).
    ~YieldFrom() {
        if (sub_ && owned_) sub_.destroy();
    }

    /// A sub-generator that has already finished has nothing to delegate: take its result at once.
    bool await_ready() const noexcept { return !sub_ || sub_.done(); }

    /// Link the sub-generator into the chain and jump into it (symmetric transfer). From now on the
    /// outermost Generator resumes it directly; it writes its values into the shared channel.
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> outer) noexcept {
        detail::PromiseBase<Y, S>& parent = outer.promise();
        auto& child = sub_.promise();
        child.channel = parent.channel;
        child.parent = &parent;
        parent.channel->leaf = &child;
        parent.channel->depth += 1;
        // While linked, the chain's owner destroys this frame (innermost first) if it is abandoned.
        owned_ = false;
        return sub_;
    }

    /// The sub-generator has finished: its return value is the value of the expression; an exception
    /// that escaped it is raised here, in the delegating generator, which may catch it.
    auto await_resume() {
        owned_ = true;   // back in our hands: we destroy the finished frame
        if (!sub_) throw GeneratorError("yield_from(): an empty generator");
        if (auto e = std::exchange(sub_.promise().error, nullptr)) std::rethrow_exception(e);
        if constexpr (!std::is_void_v<R>) return std::move(*sub_.promise().result);
    }

private:
    typename Generator<Y, S, R>::Handle sub_;
    bool owned_ = true;
};

/// Python's `yield from sub`: `auto r = co_await yield_from(std::move(sub));` inside a generator with
/// the same yield and send types. Values of `sub` flow out to our caller, send() and throw_into() reach
/// `sub`, and `r` is what `sub` returned. Use it only inside a Generator.
template <typename Y, typename S, typename R>
YieldFrom<Y, S, R> yield_from(Generator<Y, S, R> sub) {
    return YieldFrom<Y, S, R>(std::move(sub));
}

} // namespace looplab::stage01
