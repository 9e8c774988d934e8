/// @file
/// @brief Lock, Event, Semaphore: coordination between tasks, built from Futures.
///
/// **What this file adds.** Three primitives, each a queue of waiter Futures and a rule for which to
/// complete. A task that must wait creates a Future, appends it, and awaits it; whoever releases or
/// sets completes the right Future, and its task wakes on a later iteration.
///  - **Lock**: one holder at a time, waiters served first come, first served. The `chess` demo uses
///    one to model the master, who can look at only one board at a time.
///  - **Event**: a flag; wait() returns once it is set; set() wakes every waiter.
///  - **Semaphore**: a counter; acquire() waits while it is zero, or while others wait before it;
///    release() increments it and wakes one.
///
/// **Why not a mutex?** There is only one thread: nothing can preempt a task between two statements.
/// A Lock is needed only when a task holds something *across an await*, because that is where other
/// tasks run. It costs nothing when uncontended: acquire() of a free lock does not suspend.
///
/// **Cancellation.** A waiter that is cancelled removes its Future. If it had already been handed the
/// lock (or a semaphore unit) when the cancellation arrived, it passes the wake-up on to the next
/// waiter, so nothing is lost (the same rule as Queue, C44).
///
/// **What it leaves out.** Condition and BoundedSemaphore, and `async with` (C++ has no async RAII:
/// a destructor cannot co_await; release() is synchronous, so a guard object works).
///
/// **What it costs.** Uncontended: a counter. Contended: one Future per waiter.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "task.hpp"

namespace looplab::inline stage08 {

namespace detail {
/// Removes `f` from `waiters` (a cancelled or woken waiter leaves the queue).
inline void remove_waiter(std::deque<Future<void>>& waiters, const Future<void>& f) {
    for (auto it = waiters.begin(); it != waiters.end(); ++it)
        if (*it == f) {
            waiters.erase(it);
            return;
        }
}
} // namespace detail

/// A lock held across awaits; see the file comment.
class Lock {
public:
    /// Waits until the lock is free, then holds it. Does not suspend when it is free already.
    Coroutine<void> acquire() {
        if (!locked_ && all_waiters_cancelled()) {
            locked_ = true;
            co_return;
        }
        Future<void> fut(get_running_loop(), "Lock.acquire");
        waiters_.push_back(fut);
        try {
            co_await fut;
        } catch (const CancelledError&) {
            detail::remove_waiter(waiters_, fut);
            if (!locked_) wake_up_first();   // we may have been woken just before: pass it on
            throw;
        }
        detail::remove_waiter(waiters_, fut);
        locked_ = true;
    }

    /// Frees the lock and wakes the first waiter. RuntimeError when the lock is not held.
    void release() {
        if (!locked_) throw RuntimeError("Lock is not acquired.");
        locked_ = false;
        wake_up_first();
    }

    /// True while held.
    [[nodiscard]] bool locked() const { return locked_; }
    /// Tasks waiting for the lock.
    [[nodiscard]] std::size_t waiting() const { return waiters_.size(); }

    /// Releases the lock when it goes out of scope: `co_await lock.acquire(); Lock::Guard g(lock);`.
    class Guard {
    public:
        /// Takes over a lock already acquired.
        explicit Guard(Lock& lock) : lock_(&lock) {}
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        /// Releases the lock.
        ~Guard() {
            if (lock_ != nullptr && lock_->locked()) lock_->release();
        }

    private:
        Lock* lock_;
    };

private:
    bool all_waiters_cancelled() const {
        for (const auto& w : waiters_)
            if (!w.cancelled()) return false;
        return true;
    }
    void wake_up_first() {
        if (waiters_.empty()) return;
        Future<void>& first = waiters_.front();
        if (!first.done()) first.set_result();
    }

    bool locked_ = false;
    std::deque<Future<void>> waiters_;
};

/// A flag tasks can wait for; see the file comment.
class Event {
public:
    /// Waits until the flag is set; at once if it is.
    Coroutine<void> wait() {
        if (set_) co_return;
        Future<void> fut(get_running_loop(), "Event.wait");
        waiters_.push_back(fut);
        try {
            co_await fut;
        } catch (...) {
            detail::remove_waiter(waiters_, fut);
            throw;
        }
        detail::remove_waiter(waiters_, fut);
    }
    /// Sets the flag and wakes every waiter.
    void set() {
        if (set_) return;
        set_ = true;
        for (auto& w : waiters_)
            if (!w.done()) w.set_result();
    }
    /// Clears the flag: later wait() calls wait again.
    void clear() { set_ = false; }
    /// Whether the flag is set.
    [[nodiscard]] bool is_set() const { return set_; }

private:
    bool set_ = false;
    std::deque<Future<void>> waiters_;
};

/// A counter of available units; see the file comment.
class Semaphore {
public:
    /// Starts with `value` units (negative is an error, as in Python).
    explicit Semaphore(int value = 1) : value_(value) {
        if (value < 0) throw std::invalid_argument("Semaphore initial value must be >= 0");
    }
    /// Takes one unit, waiting while there is none or while others queued first.
    Coroutine<void> acquire() {
        if (!locked()) {
            --value_;
            co_return;
        }
        Future<void> fut(get_running_loop(), "Semaphore.acquire");
        waiters_.push_back(fut);
        try {
            co_await fut;
        } catch (const CancelledError&) {
            // Woken (a unit was reserved for us) but cancelled: give the unit back.
            if (fut.done() && !fut.cancelled()) ++value_;
            detail::remove_waiter(waiters_, fut);
            wake_up_while_available();
            throw;
        }
        detail::remove_waiter(waiters_, fut);
        // release() reserved our unit by not incrementing value_ when it woke us. Newcomers that came
        // while we were woken but had not run yet queued behind us (locked() counted us): units
        // released meanwhile are theirs now (C56).
        wake_up_while_available();
    }
    /// Returns one unit; wakes the first waiter, handing the unit straight to it.
    void release() {
        ++value_;
        wake_up_next();
    }
    /// True when acquire() would wait: no unit, or a waiter that is not cancelled, *including one
    /// already woken that has not run yet* (C56). Without that last part a newcomer would take the
    /// unit a release() made after the wake-up, ahead of the woken waiter: first come, first served
    /// would hold only for waiters the loop had not yet reached.
    [[nodiscard]] bool locked() const {
        if (value_ == 0) return true;
        for (const auto& w : waiters_)
            if (!w.cancelled()) return true;   // others are queued, or woken and about to run: no overtaking
        return false;
    }
    /// Units available now.
    [[nodiscard]] int value() const { return value_; }

private:
    /// Wakes the first waiter not woken yet, reserving a unit for it; false when there is none.
    bool wake_up_next() {
        for (auto& w : waiters_)
            if (!w.done()) {
                --value_;   // reserve the unit for the woken waiter
                w.set_result();
                return true;
            }
        return false;
    }
    /// Wakes waiters while units are left (asyncio 3.13's loop; 3.11 wakes only one here, and that
    /// one wakes the next when it has acquired, an iteration later).
    void wake_up_while_available() {
        while (value_ > 0 && wake_up_next()) {
        }
    }

    int value_;
    std::deque<Future<void>> waiters_;
};

} // namespace looplab::stage08
