/// @file
/// @brief SleepLoop: a driver that only knows time, over a sorted list or a heap.
///
/// **What this file adds.** coroutine.hpp made coroutines that say what they wait for. This file is
/// the one who listens: a loop that keeps every waiting coroutine with the instant it wants to wake,
/// waits (with the clock) until the earliest of those instants, resumes that coroutine, and files the
/// event it yields next. Five coroutines that each sleep 0.1 s five times finish in 0.5 s, not 2.5 s,
/// because the loop does all their waiting at once: while one sleeps, nobody is blocked.
///
/// One turn of the loop (run_once()) has two phases, the skeleton every later stage keeps:
///  1. wait until the earliest deadline (the clock sleeps for real, or the virtual clock jumps);
///  2. run every task whose deadline has passed, in deadline order, and file what each yields.
///
/// **Two queues, one loop.** The first way anyone writes this is a list of (wake time, task) that is
/// sorted again after every insert (latest first, so the earliest sits at the end, where taking it
/// is cheap). It is easy to check and it is slow: each insert costs a sort, O(n log n) for n waiting
/// tasks (std::sort is quick on data that is already nearly sorted, but it still walks all of it). A
/// binary heap keeps only the order it needs: the earliest at the top, the rest loosely arranged, so
/// an insert or a removal costs O(log n). `--queue list|heap` picks one; both
/// give the *identical* schedule, because both order by (wake time, then the order the tasks were
/// filed), so ties run first come, first served. The `scaling` demo measures the difference.
///
/// **What it leaves out.** Everything but time: a task cannot wait for a file descriptor (stage 03),
/// for another task, or for a value; tasks cannot be cancelled; and one task that never awaits keeps
/// everyone else waiting (cooperation is the price of having one thread). An exception that escapes a
/// task stops run() and reaches its caller as a TaskError naming the task.
///
/// **What it costs.** Per resume: one queue removal and one insert (O(log n) with the heap), one
/// std::visit, and, only when a trace view is on, a few strings for the trace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "coroutine.hpp"
#include "looplab/clock.hpp"
#include "looplab/trace.hpp"

namespace looplab::inline stage02 {

/// How the loop keeps its sleepers in order: `--queue list|heap`.
enum class QueueKind {
    List,  ///< a vector sorted again after every insert: O(n log n) per insert
    Heap,  ///< a binary min-heap: O(log n) per insert and per removal
};

/// "list" or "heap".
inline const char* to_string(QueueKind kind) { return kind == QueueKind::List ? "list" : "heap"; }

/// A task's coroutine let an exception escape. what() names the task and says what escaped;
/// error() is the original exception, to rethrow or inspect.
class TaskError : public std::runtime_error {
public:
    /// `task` failed with `error`, whose message is `message`.
    TaskError(const std::string& task, const std::string& message, std::exception_ptr error)
        : std::runtime_error("task '" + task + "' failed: " + message), task_(task), error_(std::move(error)) {}
    /// The name of the task that failed.
    [[nodiscard]] const std::string& task() const { return task_; }
    /// The exception that escaped its coroutine.
    [[nodiscard]] std::exception_ptr error() const { return error_; }

private:
    std::string task_;
    std::exception_ptr error_;
};

/// One entry of the timer queue: a task and the instant it wants to wake.
struct Timer {
    Duration when;        ///< the instant to wake at
    std::uint64_t order;  ///< filing order: breaks ties, so equal deadlines run first come, first served
    std::size_t task;     ///< index into the loop's task table
};

/// The sleepers, earliest first, kept as a sorted list or as a heap. Both live in one vector, so the
/// two disciplines can be read side by side: the difference is only in push() and pop().
class TimerQueue {
public:
    /// An empty queue of the given kind.
    explicit TimerQueue(QueueKind kind) : kind_(kind) {}

    /// Files `timer`.
    void push(Timer timer) {
        items_.push_back(timer);
        if (kind_ == QueueKind::List) {
            // The naive way: append, then sort everything again, latest first, so the earliest is at
            // the back, where pop() can take it. O(n log n) for every insert.
            std::sort(items_.begin(), items_.end(), later);
        } else {
            // ===== WRITE THIS (exercise 02_heap) =====================================================
            // File `timer` in a binary heap (it is already appended to items_): let it climb up past
            // its parents until it is in place, so that top() finds the earliest timer at the front.
            // O(log n). exercises/02_heap/README.md has the task and hints.
            throw std::logic_error("TimerQueue::push on a heap is not written yet (exercise 02_heap)");
        }
    }

    /// The earliest timer (ties: the one filed first). The queue must not be empty.
    [[nodiscard]] const Timer& top() const { return kind_ == QueueKind::List ? items_.back() : items_.front(); }

    /// Removes and returns the earliest timer. The queue must not be empty.
    Timer pop() {
        if (kind_ == QueueKind::Heap) {
            // ===== WRITE THIS (exercise 02_heap) =====================================================
            // Take the earliest timer off the heap: move the front to the back (the lines below return
            // and remove the back), and restore the heap order among the rest. O(log n).
            throw std::logic_error("TimerQueue::pop on a heap is not written yet (exercise 02_heap)");
        }
        Timer t = items_.back();
        items_.pop_back();
        return t;
    }

    /// True when nobody is sleeping.
    [[nodiscard]] bool empty() const { return items_.empty(); }
    /// How many timers are filed.
    [[nodiscard]] std::size_t size() const { return items_.size(); }
    /// Which discipline this queue uses.
    [[nodiscard]] QueueKind kind() const { return kind_; }

private:
    // "a wakes later than b" (ties: a was filed later). The list sorts by it latest-first; the
    // standard heap functions build a max-heap by it, which puts the *earliest* at the top.
    static bool later(const Timer& a, const Timer& b) {
        if (a.when != b.when) return a.when > b.when;
        return a.order > b.order;
    }

    QueueKind kind_;
    std::vector<Timer> items_;
};

/// What the loop counted while it ran.
struct LoopStats {
    std::uint64_t resumes = 0;  ///< how many times a coroutine was resumed
};

/// The loop: tasks (named coroutines), a timer queue, a clock to wait with, a tracer to report to.
/// See the file comment for the whole story.
class SleepLoop {
public:
    /// A loop that waits with `clock` and reports to `trace` (both must outlive it).
    SleepLoop(Clock& clock, Tracer& trace, QueueKind queue = QueueKind::Heap)
        : clock_(clock), trace_(trace), timers_(queue) {}

    /// Adds a task: `coroutine`, shown as `name` in traces and errors. It first runs at the next
    /// turn of the loop, after the tasks spawned before it (a timer due now).
    void spawn(std::string name, Coroutine<> coroutine) {
        tasks_.push_back(Task{std::move(name), std::move(coroutine), false});
        timers_.push(Timer{clock_.now(), next_order_++, tasks_.size() - 1});
    }

    /// Runs until every task has finished. If a task lets an exception escape, run() stops and
    /// throws a TaskError naming it; the other tasks stay filed (run() again continues them), and
    /// destroying the loop destroys their frames.
    void run() {
        while (!timers_.empty()) run_once();
    }

    /// One turn: wait for the earliest deadline, then run every task that is due.
    void run_once() {
        if (timers_.empty()) return;
        // Phase 1: wait. The real clock sleeps the thread; the virtual clock moves its hand.
        clock_.sleep_until(timers_.top().when);
        // Phase 2: run whoever is due, earliest first. A task that files a deadline that is already
        // past runs again in this same turn, after those already due before it.
        while (!timers_.empty() && timers_.top().when <= clock_.now()) {
            const Timer timer = timers_.pop();
            Task& task = tasks_[timer.task];
            if (trace_.on() && task.started) trace_.timer_due(task.name, "Sleep until " + format_time(timer.when));
            step(timer.task);
        }
    }

    /// The clock the loop waits with.
    [[nodiscard]] Clock& clock() const { return clock_; }
    /// Which timer queue the loop uses.
    [[nodiscard]] QueueKind queue() const { return timers_.kind(); }
    /// What the loop counted so far.
    [[nodiscard]] const LoopStats& stats() const { return stats_; }
    /// How many tasks are still waiting.
    [[nodiscard]] std::size_t waiting() const { return timers_.size(); }

private:
    struct Task {
        std::string name;
        Coroutine<> coroutine;
        bool started;
    };

    /// Resumes one task and files the event it yields, or retires it.
    void step(std::size_t index) {
        Task& task = tasks_[index];
        if (trace_.on()) trace_.resume(task.name, task.started ? "" : "first run");
        task.started = true;
        stats_.resumes += 1;
        std::optional<Event> event;
        try {
            event = task.coroutine.send();
        } catch (const std::exception& e) {
            return fail(task, e.what());
        } catch (...) {
            return fail(task, "an exception that is not a std::exception");
        }
        if (!event) {
            if (trace_.on()) trace_.done(task.name);
            task.coroutine = {};   // free its frame now, not when the loop dies
            return;
        }
        if (trace_.on()) {
            const int depth = task.coroutine.depth();
            trace_.suspend(task.name, describe(*event) + (depth > 0 ? "  (from " + std::to_string(depth) +
                                                                      (depth == 1 ? " frame down)" : " frames down)")
                                                                    : ""));
        }
        // Dispatch on the event's type. std::visit with one lambda per alternative: when a stage adds
        // an event, the missing case does not compile.
        std::visit([&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, Sleep>) timers_.push(Timer{e.until, next_order_++, index});
            else static_assert(detail::unhandled<E>, "the loop does not handle this event type");
        }, *event);
    }

    [[noreturn]] void fail(Task& task, const std::string& message) {
        if (trace_.on()) trace_.error(task.name, message);
        auto error = std::current_exception();
        task.coroutine = {};
        throw TaskError(task.name, message, error);
    }

    Clock& clock_;
    Tracer& trace_;
    TimerQueue timers_;
    std::vector<Task> tasks_;
    std::uint64_t next_order_ = 0;
    LoopStats stats_;
};

} // namespace looplab::stage02
