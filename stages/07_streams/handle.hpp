/// @file
/// @brief Handle and TimerHandle: a scheduled callback, and the one thing you can do to it (cancel).
///
/// **What this file adds.** Until stage 04 the loop's unit of work was a coroutine. From here on it is a
/// *callback*: a `std::function<void()>` the loop promises to call once (call_soon, call_later) or
/// every time a file descriptor is ready (add_reader). A Handle is the receipt for that promise: the
/// caller can take it back (`cancel()`), and the loop keeps the same record in its ready queue, its
/// timer heap or its fd table. Everything the loop runs is a Handle, as in asyncio: a task's steps
/// and a future's done-callbacks too.
///
/// **Why cancel() only sets a flag.** A cancelled timer may sit anywhere in the heap; finding and
/// removing it would cost O(n). So, like asyncio, the loop leaves it where it is and drops it when it
/// reaches the top (lazy deletion); cancel() tells the loop, which rebuilds the heap when cancelled
/// timers are the majority (C08). cancel() frees the callback's captures at once, though, so a
/// cancelled timer does not keep a Future or a Task alive for hours.
///
/// **What it leaves out.** asyncio's handles also remember where they were created (for debug mode)
/// and carry a contextvars Context; looplab has neither.
///
/// **What it costs.** One shared heap object per scheduled callback, holding the std::function (which
/// allocates again for captures bigger than two pointers) and a name for messages and traces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "looplab/clock.hpp"

namespace looplab::inline stage07 {

namespace detail {

/// What a Handle shares with the loop.
struct HandleState {
    HandleState(std::function<void()> cb, std::string n) : callback(std::move(cb)), name(std::move(n)) {}

    std::function<void()> callback;   ///< what to call; emptied by cancel()
    std::string name;                 ///< for "Exception in callback <name>" and traces
    bool cancelled = false;           ///< set by cancel(); the loop skips the handle
    bool running = false;             ///< true while the loop is calling it
    Duration when{};                  ///< timers: the deadline
    std::uint64_t seq = 0;            ///< timers: scheduling order, breaks deadline ties (FIFO)
    /// A timer in the loop's heap: the loop's count of cancelled timers (asyncio's
    /// `_timer_handle_cancelled`). Null once the timer has left the heap.
    std::size_t* cancelled_count = nullptr;

    /// Idempotent: a second cancel() changes nothing (C09).
    void cancel() {
        if (cancelled) return;
        cancelled = true;
        if (cancelled_count != nullptr) ++*cancelled_count;
        // Free the captures now, unless the callback is running: destroying a std::function while it
        // executes would pull its captures out from under it. The loop frees it when the call returns.
        if (!running) callback = nullptr;
    }
};

} // namespace detail

/// The receipt for a callback scheduled with call_soon() or registered with add_reader()/add_writer().
/// Copies share the same scheduled callback.
class Handle {
public:
    Handle() = default;   ///< An empty handle: cancel() does nothing.
    /// Wraps the loop's record (the loop makes handles; user code receives them).
    explicit Handle(std::shared_ptr<detail::HandleState> state) : state_(std::move(state)) {}

    /// Takes the callback back: it will not run (if it is running now, this call finishes). Calling
    /// cancel() again, or on a handle that already ran, does nothing.
    void cancel() {
        if (state_) state_->cancel();
    }
    [[nodiscard]] bool cancelled() const { return state_ && state_->cancelled; }   ///< True once cancelled.
    /// The name given when scheduling, used in reports and traces.
    [[nodiscard]] const std::string& name() const {
        static const std::string none;
        return state_ ? state_->name : none;
    }
    /// The shared record (for the loop).
    [[nodiscard]] const std::shared_ptr<detail::HandleState>& state() const { return state_; }

private:
    std::shared_ptr<detail::HandleState> state_;
};

/// A Handle for a callback scheduled at a time (call_later, call_at); it also knows its deadline.
class TimerHandle : public Handle {
public:
    TimerHandle() = default;   ///< An empty timer handle.
    /// Wraps the loop's record.
    explicit TimerHandle(std::shared_ptr<detail::HandleState> state) : Handle(std::move(state)) {}
    /// The loop time at which the callback is due.
    [[nodiscard]] Duration when() const { return state() ? state()->when : Duration{}; }
};

} // namespace looplab::stage07
