/// @file
/// @brief SelectLoop: one select() waits for the next deadline, for readable fds and for writable fds.
///
/// **What this file adds.** Stage 03's loop watched fds for *reading* only, and made the read() for
/// its coroutines. A socket server needs more: it writes, and a write into a full send buffer would
/// block everybody; accept() and connect() wait too. So the loop now keeps two tables beside its
/// timers, fd -> the task waiting for it to be readable, and fd -> the task waiting for it to be
/// writable, and passes both sets to the one select() call. It makes no I/O call of its own any more:
/// when an fd is ready it just resumes the task that waits for it, and the task makes the call (see
/// sockets.hpp). That is what every readiness-based loop does: Redis's ae.c, Python's selectors,
/// libuv and asyncio underneath their callbacks.
///
/// One turn of the loop (run_once()) has three phases, as in stage 03:
///  1. wait: select() over the readers' and the writers' fds, with the time to the earliest deadline
///     as its timeout (no timeout at all when nobody sleeps: block until an fd is ready);
///  2. for each fd select() said is ready: resume the task waiting for it (readers first, lowest fd
///     first, then writers);
///  3. run every task whose deadline has passed, in deadline order, as in stage 02 (on the virtual
///     clock, first move it to the earliest deadline).
///
/// **Fairness.** Each turn resumes each ready waiter once and then looks at the clock. But the loop
/// cannot take the thread back from a task that does not await: the coroutines of sockets.hpp try
/// first and await only on EAGAIN, so a task that keeps reading a socket that never runs dry keeps
/// the thread. A task that must share (the echo server's connections) awaits Readable before each
/// read. Stage 05's loop, like asyncio, makes every ready callback wait its turn.
///
/// **The virtual clock and fds** mean what they meant in stage 03: a turn polls select() with a
/// zero timeout, resumes who is ready at the current virtual time, then jumps to the earliest
/// deadline. Only when nobody sleeps does it block for real. I/O costs no virtual time; the kernel
/// moves the bytes on its own schedule, so a demo whose output depends on *when* bytes arrive is not
/// deterministic on either clock.
///
/// **Long-running servers.** A server spawns a task per connection, forever. The loop reuses the
/// slot of a finished task, so its task table is as big as the most tasks alive at once, not the
/// number ever spawned; and stop() ends run() after the current turn, leaving the tasks filed (their
/// frames, and the sockets they own, are destroyed with the loop).
///
/// **What it leaves out.** More than one reader (or writer) per fd: a second one is refused, as in
/// stage 03. Fds from FD_SETSIZE (1024) up, refused with a clear error before any FD_SET(); poll()
/// and epoll (a later stage) have no such limit, and select() is O(highest fd) per call, which is
/// why epoll exists. Cancelling a task that waits: stage 05; timeouts on I/O: stage 06.
///
/// **What it costs.** Per turn: building two fd_sets (O(waiting fds)), one select() system call, and
/// scanning both tables for the ready fds; per resume, as in stage 02: one heap removal and one
/// insert, one std::visit, and strings for the trace only when a trace view is on. The I/O calls
/// are the tasks' own, one per try, plus one more that says EAGAIN each time a task runs dry.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <sys/select.h>
#include <system_error>

#include "coroutine.hpp"
#include "looplab/clock.hpp"
#include "looplab/trace.hpp"

namespace looplab::inline stage04 {

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
            // The heap: the new entry climbs up past its parents until it is in place. O(log n).
            std::push_heap(items_.begin(), items_.end(), later);
        }
    }

    /// The earliest timer (ties: the one filed first). The queue must not be empty.
    [[nodiscard]] const Timer& top() const { return kind_ == QueueKind::List ? items_.back() : items_.front(); }

    /// Removes and returns the earliest timer. The queue must not be empty.
    Timer pop() {
        if (kind_ == QueueKind::Heap) {
            // Swap the top to the back and let the entry that replaced it sink into place: O(log n).
            std::pop_heap(items_.begin(), items_.end(), later);
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
    std::uint64_t resumes = 0;      ///< how many times a coroutine was resumed
    std::uint64_t selects = 0;      ///< how many select() calls returned
    std::uint64_t interrupted = 0;  ///< how many select() calls a signal interrupted (EINTR), and were retried
    std::uint64_t ready = 0;        ///< how many times select() found a waited-for fd ready
};

/// The loop: tasks (named coroutines), a timer queue, the fds being waited for, a clock to wait
/// with, a tracer to report to. See the file comment for the whole story.
class SelectLoop {
public:
    /// A loop that waits with `clock` and reports to `trace` (both must outlive it).
    SelectLoop(Clock& clock, Tracer& trace, QueueKind queue = QueueKind::Heap)
        : clock_(clock), trace_(trace), timers_(queue) {}

    /// Adds a task: `coroutine`, shown as `name` in traces and errors. It first runs at the next
    /// turn of the loop, after the tasks spawned before it (a timer due now).
    void spawn(std::string name, Coroutine<> coroutine) {
        Task task{std::move(name), std::move(coroutine), false, nullptr};
        std::size_t index = tasks_.size();
        if (free_.empty()) {
            tasks_.push_back(std::move(task));
        } else {
            // A server spawns a task per connection, forever: reuse the slot of one that finished.
            index = free_.back();
            free_.pop_back();
            tasks_[index] = std::move(task);
        }
        timers_.push(Timer{clock_.now(), next_order_++, index});
    }

    /// Runs until every task has finished, or until stop(). If a task lets an exception escape,
    /// run() stops and throws a TaskError naming it; the other tasks stay filed (run() again
    /// continues them), and destroying the loop destroys their frames.
    void run() {
        stopping_ = false;
        while (!stopping_ && waiting() > 0) run_once();
    }

    /// Makes run() return after the current turn (asyncio's loop.stop()). Tasks that are still
    /// waiting stay filed: run() again continues them, destroying the loop destroys them.
    void stop() { stopping_ = true; }

    /// One turn: wait for the earliest deadline or a ready fd, resume who waits for the ready fds,
    /// then run every task that is due.
    void run_once() {
        if (waiting() == 0) return;
        // Phase 1: wait, in one select() for everybody.
        const Ready ready = wait();
        // Phase 2: resume the task waiting for each ready fd; it makes the I/O call itself.
        for (int fd : ready.readable) serve(readers_, fd, "readable");
        for (int fd : ready.writable) serve(writers_, fd, "writable");
        // The virtual clock: nothing made time pass while we polled, so we move it ourselves, to the
        // earliest deadline (a real clock got there, or nearer, inside select()).
        if (clock_.is_virtual() && !timers_.empty()) clock_.sleep_until(timers_.top().when);
        // Phase 3: run whoever is due, earliest first. A task that files a deadline that is already
        // past runs again in this same turn, after those already due before it.
        while (!timers_.empty() && timers_.top().when <= clock_.now()) {
            const Timer timer = timers_.pop();
            Task& task = tasks_[timer.task];
            if (trace_.on() && task.started && !task.error)
                trace_.timer_due(task.name, "Sleep until " + format_time(timer.when));
            step(timer.task);
        }
    }

    /// The clock the loop waits with.
    [[nodiscard]] Clock& clock() const { return clock_; }
    /// Which timer queue the loop uses.
    [[nodiscard]] QueueKind queue() const { return timers_.kind(); }
    /// What the loop counted so far.
    [[nodiscard]] const LoopStats& stats() const { return stats_; }
    /// How many slots the task table holds: the most tasks that were alive at once (finished tasks'
    /// slots are reused), not how many were ever spawned.
    [[nodiscard]] std::size_t task_slots() const { return tasks_.size(); }
    /// How many tasks are still waiting (for time or for an fd).
    [[nodiscard]] std::size_t waiting() const { return timers_.size() + readers_.size() + writers_.size(); }

private:
    struct Task {
        std::string name;
        Coroutine<> coroutine;
        bool started;
        std::exception_ptr error;  // what its next resume throws in, instead of "it happened"
    };

    /// fd -> the task waiting for it, ordered by fd: ready waiters are resumed lowest fd first.
    using Waiters = std::map<int, std::size_t>;

    /// What one select() found: the fds that are readable and those that are writable.
    struct Ready {
        std::vector<int> readable;
        std::vector<int> writable;
    };

    /// Phase 1: select() over the waiters' fds until one is ready or the earliest deadline comes
    /// (on the virtual clock: a poll, see the file comment). Returns the ready fds.
    Ready wait() {
        fd_set want_read, want_write;
        FD_ZERO(&want_read);
        FD_ZERO(&want_write);
        int highest = -1;
        for (const auto& [fd, task] : readers_) {
            FD_SET(fd, &want_read);   // safe: add_waiter() refused any fd >= FD_SETSIZE
            highest = std::max(highest, fd);
        }
        for (const auto& [fd, task] : writers_) {
            FD_SET(fd, &want_write);
            highest = std::max(highest, fd);
        }
        fd_set readable, writable;
        while (true) {
            // select() overwrites its sets, so each call gets a fresh copy.
            readable = want_read;
            writable = want_write;
            timeval timeout{};
            timeval* limit = &timeout;   // zero: just poll
            if (timers_.empty()) {
                limit = nullptr;   // nobody sleeps: block until an fd is ready, on either clock
            } else if (!clock_.is_virtual()) {
                // Recomputed on every try, so a retry after a signal does not wait too long. Rounded
                // up to the microsecond: waking a hair early would only cost a turn that does nothing.
                const Duration left = std::max(Duration::zero(), timers_.top().when - clock_.now());
                const auto us = std::chrono::ceil<std::chrono::microseconds>(left).count();
                timeout.tv_sec = static_cast<time_t>(us / 1000000);
                timeout.tv_usec = static_cast<suseconds_t>(us % 1000000);
            }
            const int n = ::select(highest + 1, &readable, &writable, nullptr, limit);
            if (n >= 0) break;
            // A signal arrived while we waited (its handler has run). Nothing is wrong: ask again.
            if (errno == EINTR) {
                stats_.interrupted += 1;
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "select");
        }
        stats_.selects += 1;
        Ready ready;
        for (const auto& [fd, task] : readers_)
            if (FD_ISSET(fd, &readable)) ready.readable.push_back(fd);
        for (const auto& [fd, task] : writers_)
            if (FD_ISSET(fd, &writable)) ready.writable.push_back(fd);
        return ready;
    }

    /// Phase 2, for one ready fd: take its waiter off the table and resume it. The loop makes no
    /// I/O call: the task tries its recv(), send() or accept() itself, and if readiness turns out
    /// to have been a false alarm (EAGAIN), it simply awaits again.
    void serve(Waiters& waiters, int fd, const char* what) {
        auto it = waiters.find(fd);
        if (it == waiters.end()) return;   // its waiter went away earlier in this turn
        const std::size_t index = it->second;
        waiters.erase(it);
        stats_.ready += 1;
        if (trace_.on()) trace_.io_ready(tasks_[index].name, "fd " + std::to_string(fd) + " " + what);
        step(index);
    }

    /// Resumes one task (or throws its error into it) and files the event it yields, or retires it.
    void step(std::size_t index) {
        Task& task = tasks_[index];
        if (trace_.on()) trace_.resume(task.name, task.error ? "with an error thrown in" : task.started ? "" : "first run");
        task.started = true;
        stats_.resumes += 1;
        std::optional<Event> event;
        try {
            if (auto error = std::exchange(task.error, nullptr)) event = task.coroutine.throw_into(error);
            else event = task.coroutine.send();
        } catch (const std::exception& e) {
            return fail(task, e.what());
        } catch (...) {
            return fail(task, "an exception that is not a std::exception");
        }
        if (!event) {
            if (trace_.on()) trace_.done(task.name);
            task.coroutine = {};   // free its frame now, not when the loop dies
            free_.push_back(index);   // and its slot, for the next spawn()
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
            else if constexpr (std::is_same_v<E, Readable>) add_waiter(readers_, index, e.fd, "reader");
            else if constexpr (std::is_same_v<E, Writable>) add_waiter(writers_, index, e.fd, "writer");
            else static_assert(detail::unhandled<E>, "the loop does not handle this event type");
        }, *event);
    }

    /// Files a Readable or a Writable in `waiters`, or refuses it: the error is thrown into the task
    /// at its `co_await` (it may catch it), in this same turn, through a timer that is due now.
    void add_waiter(Waiters& waiters, std::size_t index, int fd, const char* role) {
        Task& task = tasks_[index];
        std::string refusal;
        if (fd < 0 || fd >= FD_SETSIZE)
            refusal = "select() cannot watch fd " + std::to_string(fd) + ": an fd_set holds fds 0 to " +
                      std::to_string(FD_SETSIZE - 1) + " (FD_SETSIZE), and FD_SET on a larger one would write "
                      "past its end; poll() or epoll have no such limit";
        else if (auto other = waiters.find(fd); other != waiters.end())
            refusal = "fd " + std::to_string(fd) + " already has a " + role + ", task '" +
                      tasks_[other->second].name + "'";
        if (!refusal.empty()) {
            task.error = std::make_exception_ptr(std::invalid_argument(refusal));
            timers_.push(Timer{clock_.now(), next_order_++, index});
            return;
        }
        waiters.emplace(fd, index);
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
    Waiters readers_;                 // fd -> the task waiting for it to be readable
    Waiters writers_;                 // fd -> the task waiting for it to be writable
    // A deque, not a vector: a task may spawn() while it runs (a server's accept loop does), and a
    // vector that grew would move the running task's entry out from under it.
    std::deque<Task> tasks_;
    std::vector<std::size_t> free_;   // slots of finished tasks, for spawn() to reuse
    bool stopping_ = false;
    std::uint64_t next_order_ = 0;
    LoopStats stats_;
};

} // namespace looplab::stage04
