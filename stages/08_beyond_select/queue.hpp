/// @file
/// @brief Queue<T>: a FIFO between producer and consumer tasks, with back-pressure and join().
///
/// **What this file adds.** The workhorse of concurrent programs: producers `co_await put(x)`,
/// consumers `co_await get()`. A queue with `maxsize > 0` is bounded: put() waits while it is full,
/// which slows producers to the consumers' pace (back-pressure); `maxsize <= 0` never fills (C42).
/// get() waits while it is empty. Each waiting task parks a Future in the `getters_` or `putters_`
/// deque; the side that makes room or adds an item completes the first one, and that task resumes
/// on a later iteration (C43) and checks again: another task may have been faster, so each wait is a
/// `while` loop, not an `if`.
///
/// task_done() and join() count work, not items: every put() adds one unfinished unit, every
/// task_done() removes one, and join() waits until none is left (C45). The `queue` demo joins, then
/// cancels the consumers, which are still waiting in get() forever.
///
/// **Cancellation without loss (C44).** A getter cancelled while waiting removes its Future. If it
/// had already been woken (an item is there for it) when the cancellation arrived, it wakes the next
/// getter instead, so the item does not sit in the queue while someone waits.
///
/// **What it leaves out.** PriorityQueue, LifoQueue, and Python 3.13's shutdown().
///
/// **What it costs.** A deque of items; uncontended put/get are O(1) and do not suspend. Each wait
/// costs one Future.
#pragma once

#include <cstddef>
#include <deque>
#include <utility>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "sync.hpp"
#include "task.hpp"
#include "toolkit_errors.hpp"

namespace looplab::inline stage08 {

/// A FIFO queue for tasks; see the file comment.
template <typename T>
class Queue {
public:
    /// A queue holding at most `maxsize` items; `maxsize <= 0` means unbounded.
    explicit Queue(int maxsize = 0) : maxsize_(maxsize) {}

    /// Items in the queue now.
    [[nodiscard]] std::size_t qsize() const { return items_.size(); }
    /// The bound given at construction.
    [[nodiscard]] int maxsize() const { return maxsize_; }
    /// True when there is no item.
    [[nodiscard]] bool empty() const { return items_.empty(); }
    /// True when a bounded queue holds maxsize items.
    [[nodiscard]] bool full() const { return maxsize_ > 0 && items_.size() >= static_cast<std::size_t>(maxsize_); }

    /// Adds `item`, waiting while the queue is full.
    Coroutine<void> put(T item) {
        while (full()) {
            Future<void> putter(get_running_loop(), "Queue.put");
            putters_.push_back(putter);
            try {
                co_await putter;
            } catch (...) {
                putter.cancel();
                detail::remove_waiter(putters_, putter);
                if (!full() && !putter.cancelled()) wake_up_next(putters_);
                throw;
            }
        }
        put_nowait(std::move(item));
    }

    /// Adds `item` now; QueueFull when the queue is full.
    void put_nowait(T item) {
        if (full()) throw QueueFull();
        items_.push_back(std::move(item));
        ++unfinished_;
        finished_.clear();
        wake_up_next(getters_);
    }

    /// Removes and returns the first item, waiting while the queue is empty.
    Coroutine<T> get() {
        while (empty()) {
            Future<void> getter(get_running_loop(), "Queue.get");
            getters_.push_back(getter);
            try {
                co_await getter;
            } catch (...) {
                getter.cancel();
                detail::remove_waiter(getters_, getter);
                if (!empty() && !getter.cancelled()) wake_up_next(getters_);   // C44: pass the wake-up on
                throw;
            }
        }
        co_return get_nowait();
    }

    /// Removes and returns the first item now; QueueEmpty when there is none.
    T get_nowait() {
        if (empty()) throw QueueEmpty();
        T item = std::move(items_.front());
        items_.pop_front();
        wake_up_next(putters_);
        return item;
    }

    /// Marks one unit of work (one item got earlier) as done. More calls than items put is an error
    /// (C45).
    void task_done() {
        if (unfinished_ <= 0) throw std::invalid_argument("task_done() called too many times");
        if (--unfinished_ == 0) finished_.set();
    }

    /// Waits until every item put has been marked done with task_done().
    Coroutine<void> join() {
        if (unfinished_ > 0) co_await finished_.wait();
    }

private:
    // Wakes the first waiter that is still waiting; it removes itself from the deque when it resumes.
    static void wake_up_next(std::deque<Future<void>>& waiters) {
        while (!waiters.empty()) {
            Future<void> w = waiters.front();
            waiters.pop_front();
            if (!w.done()) {
                w.set_result();
                return;
            }
        }
    }

    int maxsize_;
    std::deque<T> items_;
    std::deque<Future<void>> getters_;
    std::deque<Future<void>> putters_;
    long unfinished_ = 0;
    Event finished_;
};

} // namespace looplab::stage08
