/// @file
/// @brief Handle and TimerHandle: a scheduled callback, and the one thing you can do to it (cancel).
///
/// **What this file adds.** From here on the loop runs *callbacks*, once (call_soon, call_later) or
/// whenever an fd is ready (add_reader); a Handle is the receipt for one, and everything the loop runs
/// is one, a task's steps too. cancel() frees the captures at once but only flags the record: finding
/// a timer in the heap would cost O(n), so the loop drops it when it reaches the top (C08).
///
/// **What it leaves out.** asyncio's creation traceback and contextvars Context. **What it costs.** A
/// shared heap object per callback, and the std::function's own allocation for big captures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "looplab/clock.hpp"

namespace looplab::inline stage08 {

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
    std::size_t* cancelled_count = nullptr;   ///< timers in the heap: the loop's count to bump (C08)

    /// Idempotent: a second cancel() changes nothing (C09).
    void cancel() {
        if (cancelled) return;
        cancelled = true;
        if (cancelled_count != nullptr) ++*cancelled_count;
        if (!running) callback = nullptr;   // a running one frees its captures when it returns
    }
};
} // namespace detail

/// The receipt for a callback scheduled with call_soon() or add_reader(); copies share the callback.
class Handle {
public:
    Handle() = default;   ///< An empty handle: cancel() does nothing.
    /// Wraps the loop's record (the loop makes handles; user code receives them).
    explicit Handle(std::shared_ptr<detail::HandleState> state) : state_(std::move(state)) {}

    /// Takes the callback back: it will not run (a running call finishes). Again, or after it ran: no effect.
    void cancel() { if (state_) state_->cancel(); }
    [[nodiscard]] bool cancelled() const { return state_ && state_->cancelled; }   ///< True once cancelled.
    /// The name given when scheduling, used in reports and traces.
    [[nodiscard]] std::string name() const { return state_ ? state_->name : std::string(); }
    /// The shared record (for the loop).
    [[nodiscard]] const std::shared_ptr<detail::HandleState>& state() const { return state_; }
private:
    std::shared_ptr<detail::HandleState> state_;
};

/// A Handle for a callback scheduled at a time (call_later, call_at); it also knows its deadline.
class TimerHandle : public Handle {
public:
    using Handle::Handle;   ///< Empty, or wrapping the loop's record.
    /// The loop time at which the callback is due.
    [[nodiscard]] Duration when() const { return state() ? state()->when : Duration{}; }
};

} // namespace looplab::stage08
