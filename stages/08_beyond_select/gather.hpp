/// @file
/// @brief gather(): run several awaitables concurrently, get their results in argument order.
///
/// **What this file adds.** `co_await gather(a(), b(), c())` wraps each coroutine in a Task (so they
/// all run concurrently) and returns one Future whose result is the tuple of their results, in the
/// order of the arguments, not the order they finished (C35). The range form takes a
/// `std::vector` of coroutines, tasks or futures and gives a `std::vector` of results. A child that
/// returns void contributes `std::monostate`.
///
/// **Errors, as asyncio does them.** Without return_exceptions, the first child to fail (or to be
/// cancelled) fails the gather with that exception; the other children are *not* cancelled and keep
/// running (C36): gather only stops waiting for them. With `gather(return_exceptions, ...)` every child
/// runs to the end and each result is an Outcome: a value or the exception (a cancellation included,
/// C37). Cancelling the gather cancels every child that is not done (C38); the gather then fails
/// with CancelledError (as in asyncio, where the gather's future is done, not cancelled(), and raises
/// CancelledError when awaited). Once the gather has failed, a later child's exception counts as
/// retrieved, even when the caller has dropped the gather (C53): it was handed to the gather's
/// bookkeeping, and the caller heard of the first failure.
///
/// **What it leaves out.** Python's gather accepts any mix of awaitables at run time; here the types
/// are fixed at compile time (a tuple for the variadic form, one element type for the range form).
///
/// **Children already done.** A Future (or Task) that is done before gather() is called gets no
/// callback: gather() looks at it at once, so a gather of finished futures is already done when it
/// is returned (asyncio 3.12 and 3.13; 3.11 needed one loop iteration for it).
///
/// **What it costs.** One Task per coroutine argument, one Future for the gather, one
/// done-callback per pending child, and a shared flag that says the gather is done.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "ensure_future.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "task.hpp"

namespace looplab::inline stage08 {

/// One child's outcome under return_exceptions: a value, or the exception it ended with.
template <typename T>
class Outcome {
public:
    /// A value.
    explicit Outcome(detail::Stored<T> value) : v_(std::move(value)) {}
    /// An exception (a CancelledError for a cancelled child).
    explicit Outcome(std::exception_ptr error) : v_(std::move(error)) {}
    /// True when the child returned a value.
    [[nodiscard]] bool ok() const { return v_.index() == 0; }
    /// The value; rethrows the exception when there is none.
    [[nodiscard]] const detail::Stored<T>& value() const {
        if (!ok()) std::rethrow_exception(std::get<1>(v_));
        return std::get<0>(v_);
    }
    /// The exception, or null.
    [[nodiscard]] std::exception_ptr error() const { return ok() ? nullptr : std::get<1>(v_); }

private:
    std::variant<detail::Stored<T>, std::exception_ptr> v_;
};

/// The tag that asks gather() for Outcomes instead of failing on the first exception:
/// `gather(return_exceptions, a(), b())`, as Python writes `gather(a(), b(), return_exceptions=True)`.
struct ReturnExceptions {};
/// The one ReturnExceptions value.
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

/// The gather's own future: it knows its children, so cancelling it cancels them.
template <typename R>
class GatherState final : public FutureState<R> {
public:
    GatherState(EventLoop& loop, std::vector<std::shared_ptr<FutureBase>> children, bool return_exceptions,
                std::function<R()> collect)
        : FutureState<R>(loop, "gather"), children_(std::move(children)), return_exceptions_(return_exceptions),
          collect_(std::move(collect)) {}

    /// C38: cancel every child that is not done; the gather ends once they all have.
    bool cancel(std::string message) override {
        if (this->done()) return false;
        bool any = false;
        for (auto& child : children_)
            if (child->cancel(message)) any = true;
        if (any) {
            cancel_requested_ = true;
            cancel_message_ = message;
        }
        return any;
    }

    /// Registers a callback on every child that is still pending, then takes the children that are
    /// done already, in argument order, at once: a gather of finished futures is done when gather()
    /// returns, as in asyncio 3.12 and later (3.11 took one more loop iteration).
    void start() {
        std::weak_ptr<FutureBase> weak = this->shared_from_this();
        std::vector<FutureBase*> done_already;
        for (auto& child : children_) {
            if (child->done()) {
                done_already.push_back(child.get());
                continue;
            }
            child->add_callback([weak, outer_done = outer_done_](FutureBase& c) {
                if (*outer_done) {
                    // C53: the gather already ended (with the first failure, say): a later exception
                    // counts as retrieved, even when nobody holds the gather any more.
                    if (!c.cancelled()) c.mark_retrieved();
                    return;
                }
                if (auto self = weak.lock()) static_cast<GatherState&>(*self).child_done(c);
            }, "gather: child done");
        }
        for (FutureBase* child : done_already) child_done(*child);
        if (children_.empty()) end_with_results();   // C35: nothing to wait for
    }

private:
    void child_done(FutureBase& child) {
        ++finished_;
        if (this->done()) {
            if (!child.cancelled()) child.mark_retrieved();   // the gather already failed; don't report twice
            return;
        }
        if (!return_exceptions_) {
            if (child.cancelled()) {
                end_with_exception(std::make_exception_ptr(CancelledError(child.cancel_message())));
                return;
            }
            if (child.has_exception()) {
                end_with_exception(child.exception());   // C36: the others keep running
                return;
            }
        }
        if (finished_ < children_.size()) return;
        if (cancel_requested_) {
            // As asyncio does: the gather ends with a CancelledError exception (so cancelled() is
            // false, but awaiting it raises CancelledError, and the awaiting task ends cancelled).
            end_with_exception(std::make_exception_ptr(CancelledError(cancel_message_)));
        } else {
            end_with_results();
        }
    }

    void end_with_exception(std::exception_ptr error) {
        *outer_done_ = true;
        this->set_exception(std::move(error));
    }
    void end_with_results() {
        *outer_done_ = true;
        this->set_result(collect_());
    }

    std::vector<std::shared_ptr<FutureBase>> children_;
    bool return_exceptions_;
    std::function<R()> collect_;
    std::size_t finished_ = 0;
    bool cancel_requested_ = false;
    std::string cancel_message_;
    // Shared with every child's callback, which holds the gather only weakly: asyncio's callbacks
    // keep the gather alive, but here the gather holds its children, and a strong link back would be
    // a cycle that no garbage collector breaks. The flag is the part of the gather a callback needs
    // once the gather is done, whether or not anyone still holds it.
    std::shared_ptr<bool> outer_done_ = std::make_shared<bool>(false);
};

template <typename T>
Stored<T> value_of(const Future<T>& f) {
    return f.state()->result();
}

template <typename T>
Outcome<T> outcome_of(const Future<T>& f) {
    auto& s = *f.state();
    if (s.cancelled()) return Outcome<T>(std::make_exception_ptr(CancelledError(s.cancel_message())));
    if (auto e = s.exception()) return Outcome<T>(e);
    return Outcome<T>(s.result());
}

template <typename R>
Future<R> start_gather(EventLoop& loop, std::vector<std::shared_ptr<FutureBase>> children, bool return_exceptions,
                       std::function<R()> collect) {
    auto state = std::make_shared<GatherState<R>>(loop, std::move(children), return_exceptions, std::move(collect));
    state->start();
    return Future<R>(std::static_pointer_cast<FutureState<R>>(state));
}

template <typename T>
EventLoop& loop_of(const std::vector<Future<T>>& futures) {
    return futures.empty() ? get_running_loop() : futures.front().state()->loop();
}

} // namespace detail

/// Runs every awaitable concurrently; the result is the tuple of their results, in argument order.
/// The first exception fails the gather; the other children keep running (C36).
template <typename... A>
Future<std::tuple<detail::Stored<await_result_t<A>>...>> gather(A... awaitables) {
    using R = std::tuple<detail::Stored<await_result_t<A>>...>;
    // Braces, not make_tuple(...): a braced list is evaluated left to right, so the tasks are created
    // (and first run) in argument order. Function arguments have no guaranteed order (GCC goes right to left).
    std::tuple<Future<await_result_t<A>>...> futures{ensure_future(std::move(awaitables))...};
    std::vector<std::shared_ptr<detail::FutureBase>> children;
    std::apply([&](auto&... f) { (children.push_back(f.state()), ...); }, futures);
    EventLoop& loop = children.empty() ? get_running_loop() : children.front()->loop();
    return detail::start_gather<R>(loop, std::move(children), false,
                                   [futures] { return std::apply([](auto&... f) { return R{detail::value_of(f)...}; }, futures); });
}

/// gather(return_exceptions, ...): every child runs to the end; each result is an Outcome (C37).
template <typename... A>
Future<std::tuple<Outcome<await_result_t<A>>...>> gather(ReturnExceptions, A... awaitables) {
    using R = std::tuple<Outcome<await_result_t<A>>...>;
    // Braces, not make_tuple(...): a braced list is evaluated left to right, so the tasks are created
    // (and first run) in argument order. Function arguments have no guaranteed order (GCC goes right to left).
    std::tuple<Future<await_result_t<A>>...> futures{ensure_future(std::move(awaitables))...};
    std::vector<std::shared_ptr<detail::FutureBase>> children;
    std::apply([&](auto&... f) { (children.push_back(f.state()), ...); }, futures);
    EventLoop& loop = children.empty() ? get_running_loop() : children.front()->loop();
    return detail::start_gather<R>(loop, std::move(children), true,
                                   [futures] { return std::apply([](auto&... f) { return R{detail::outcome_of(f)...}; }, futures); });
}

namespace detail {
/// The range forms' shared part: a Future per awaitable (coroutines become tasks), then the gather,
/// whose result applies `each` (value_of or outcome_of) to every child in order.
template <typename E, typename A, typename Each>
Future<std::vector<E>> gather_range(std::vector<A> awaitables, bool return_exceptions, Each each) {
    using T = await_result_t<A>;
    std::vector<Future<T>> futures;
    futures.reserve(awaitables.size());
    for (auto& a : awaitables) futures.push_back(ensure_future(std::move(a)));
    std::vector<std::shared_ptr<FutureBase>> children;
    for (auto& f : futures) children.push_back(f.state());
    return start_gather<std::vector<E>>(loop_of(futures), std::move(children), return_exceptions, [futures, each] {
        std::vector<E> out;
        out.reserve(futures.size());
        for (const auto& f : futures) out.push_back(each(f));
        return out;
    });
}
} // namespace detail

/// The range form: coroutines, tasks or futures of one result type; results in the same order.
template <typename A>
Future<std::vector<detail::Stored<await_result_t<A>>>> gather(std::vector<A> awaitables) {
    using T = await_result_t<A>;
    return detail::gather_range<detail::Stored<T>>(std::move(awaitables), false,
                                                   [](const Future<T>& f) { return detail::value_of(f); });
}

/// The range form with return_exceptions: a vector of Outcomes.
template <typename A>
Future<std::vector<Outcome<await_result_t<A>>>> gather(ReturnExceptions, std::vector<A> awaitables) {
    using T = await_result_t<A>;
    return detail::gather_range<Outcome<T>>(std::move(awaitables), true,
                                            [](const Future<T>& f) { return detail::outcome_of(f); });
}

} // namespace looplab::stage08
