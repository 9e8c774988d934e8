/// @file
/// @brief SelectLoop: one select() call waits for the next deadline and for file descriptors at once.
///
/// **What this file adds.** Stage 02's loop could only wait for time, so a coroutine that wanted
/// bytes from a pipe would have had to read() and block everybody. Here the loop keeps a second
/// table beside its timers, fd -> the coroutine waiting to read from it, and waits for both with one
/// system call: select() sleeps until one of the fds is readable *or* the timeout runs out, and the
/// timeout is the time left until the earliest deadline. Redis's ae.c and asyncio's selector event
/// loop (BaseSelectorEventLoop, on the selectors module's wrappers of these system calls) are this
/// same loop.
///
/// One turn of the loop (run_once()) now has three phases:
///  1. wait: select() over the waiting fds, with the time to the earliest deadline as its timeout
///     (no timeout at all when nobody sleeps: block until an fd is ready);
///  2. for each fd select() said is readable: one read() of what is there (never more than
///     read_chunk bytes), added to what that reader has so far; a reader with all the bytes it asked
///     for, or at end of file, is resumed with them;
///  3. run every task whose deadline has passed, in deadline order, as in stage 02 (on the virtual
///     clock, first move it to the earliest deadline).
///
/// **Fairness.** Each turn reads each ready fd once and then looks at the clock, so an fd that is
/// always readable (a file, /dev/urandom, a fast pipe) cannot keep the sleepers waiting: they run in
/// the same turn their deadline passes. A loop that kept reading "while there is data" would starve
/// them.
///
/// **The virtual clock and fds.** A virtual clock cannot make bytes arrive sooner, so with
/// `--clock virtual` a turn is: select() with a zero timeout (a poll: which fds are ready *now*?),
/// serve them, then jump the clock to the earliest deadline and run who is due. Reading costs no
/// virtual time, and each turn moves time to the next deadline, so the loop never spins (every turn
/// either advances the clock or serves an fd) and never hangs. Only when nobody sleeps and fds are
/// all that remain does it block for real, until the data comes; the clock stands still meanwhile.
/// On the real clock select() waits for real and a ready fd ends the wait early.
///
/// **What it leaves out.** Writing (stage 04), more than one reader per fd (a second one is refused),
/// and fds from FD_SETSIZE (1024) up: select()'s fd_set is a fixed bitmap, and FD_SET() on a larger
/// fd writes past its end, so the loop refuses them with a clear error; poll() and epoll (a later
/// stage) have no such limit. select() itself is O(highest fd) per call, which is why epoll exists. A task
/// that blocks (a long computation, a blocking call) still freezes everybody: see the `blocking`
/// demo.
///
/// **What it costs.** Per turn: building the fd_set (O(waiting fds)), one select() system call, and
/// one read() per ready fd; per resume, as in stage 02: one heap removal and one insert, one
/// std::visit, and strings for the trace only when a trace view is on.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
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
#include <unistd.h>

#include "coroutine.hpp"
#include "looplab/clock.hpp"
#include "looplab/trace.hpp"

namespace looplab::inline stage03 {

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
    std::uint64_t reads = 0;        ///< how many read() calls the loop made for its readers
};

/// The loop: tasks (named coroutines), a timer queue, the fds being read, a clock to wait with, a
/// tracer to report to. See the file comment for the whole story.
class SelectLoop {
public:
    /// The most a reader gets from one read() per turn. Small enough that one busy fd shares the
    /// turn with the others; asyncio reads up to 256 KiB at a time from a socket.
    static constexpr std::size_t read_chunk = 4096;

    /// A loop that waits with `clock` and reports to `trace` (both must outlive it).
    SelectLoop(Clock& clock, Tracer& trace, QueueKind queue = QueueKind::Heap)
        : clock_(clock), trace_(trace), timers_(queue) {}

    /// Adds a task: `coroutine`, shown as `name` in traces and errors. It first runs at the next
    /// turn of the loop, after the tasks spawned before it (a timer due now).
    void spawn(std::string name, Coroutine<> coroutine) {
        tasks_.push_back(Task{std::move(name), std::move(coroutine), false, {}, nullptr});
        timers_.push(Timer{clock_.now(), next_order_++, tasks_.size() - 1});
    }

    /// Runs until every task has finished. If a task lets an exception escape, run() stops and
    /// throws a TaskError naming it; the other tasks stay filed (run() again continues them), and
    /// destroying the loop destroys their frames.
    void run() {
        while (!timers_.empty() || !readers_.empty()) run_once();
    }

    /// One turn: wait for the earliest deadline or a readable fd, serve the ready fds, then run
    /// every task that is due.
    void run_once() {
        if (timers_.empty() && readers_.empty()) return;
        // Phase 1: wait, in one select() for everybody.
        const std::vector<int> ready = wait();
        // Phase 2: one read() per ready fd; readers that have what they asked for are resumed.
        for (int fd : ready) serve(fd);
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
    /// How many tasks are still waiting (for time or for an fd).
    [[nodiscard]] std::size_t waiting() const { return timers_.size() + readers_.size(); }

private:
    struct Task {
        std::string name;
        Coroutine<> coroutine;
        bool started;
        std::string answer;        // what its next resume sends in: the bytes of its Read
        std::exception_ptr error;  // or the error it throws in instead
    };

    /// A task waiting for bytes from an fd, and what it has received so far.
    struct Reader {
        std::size_t task;
        std::size_t amount;
        std::string data;
    };

    /// Phase 1: select() over the readers' fds until one is readable or the earliest deadline comes
    /// (on the virtual clock: a poll, see the file comment). Returns the ready fds.
    std::vector<int> wait() {
        fd_set wanted;
        FD_ZERO(&wanted);
        int highest = -1;
        for (const auto& [fd, reader] : readers_) {
            FD_SET(fd, &wanted);   // safe: dispatch() refused any fd >= FD_SETSIZE
            highest = std::max(highest, fd);
        }
        fd_set readable;
        while (true) {
            readable = wanted;   // select() overwrites its sets, so each call gets a fresh copy
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
            const int n = ::select(highest + 1, &readable, nullptr, nullptr, limit);
            if (n >= 0) break;
            // A signal arrived while we waited (its handler has run). Nothing is wrong: ask again.
            if (errno == EINTR) {
                stats_.interrupted += 1;
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "select");
        }
        stats_.selects += 1;
        std::vector<int> ready;
        for (const auto& [fd, reader] : readers_)
            if (FD_ISSET(fd, &readable)) ready.push_back(fd);
        return ready;
    }

    /// Phase 2, for one ready fd: one read() of what is there; resume the reader if it is done.
    void serve(int fd) {
        auto it = readers_.find(fd);
        if (it == readers_.end()) return;
        Reader& reader = it->second;
        Task& task = tasks_[reader.task];
        const std::size_t want = std::min(read_chunk, reader.amount - reader.data.size());
        const std::size_t had = reader.data.size();
        reader.data.resize(had + want);
        // select() said readable, so this read() usually returns at once: bytes, 0 at end of file, or
        // an error. Not always: a regular file is always "readable", yet reading it waits for the disk
        // (see the README), and select(2)'s BUGS section warns that readiness can vanish before the
        // read (a packet dropped for a bad checksum), when a blocking fd would wait. Stage 04 makes
        // every fd non-blocking for that reason; here a non-blocking fd's EAGAIN is handled below.
        const ssize_t got = ::read(fd, reader.data.data() + had, want);
        stats_.reads += 1;
        if (got < 0) {
            reader.data.resize(had);
            // A signal, or (on a non-blocking fd) readiness that vanished: try again next turn.
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return;
            task.error = std::make_exception_ptr(
                std::system_error(errno, std::generic_category(), "read(fd " + std::to_string(fd) + ")"));
        } else {
            reader.data.resize(had + static_cast<std::size_t>(got));
            const bool eof = got == 0;
            if (trace_.on())
                trace_.io_ready(task.name, "fd " + std::to_string(fd) + ": " +
                                               (eof ? std::string("end of file")
                                                    : std::to_string(got) + " bytes, " +
                                                          std::to_string(reader.data.size()) + " of " +
                                                          std::to_string(reader.amount)));
            if (!eof && reader.data.size() < reader.amount) return;   // keep waiting for the rest
            task.answer = std::move(reader.data);
        }
        const std::size_t index = reader.task;
        readers_.erase(it);
        step(index);
    }

    /// Resumes one task (sending in its answer, or throwing in its error) and files the event it
    /// yields, or retires it.
    void step(std::size_t index) {
        Task& task = tasks_[index];
        if (trace_.on()) trace_.resume(task.name, task.error ? "with an error thrown in" : task.started ? "" : "first run");
        task.started = true;
        stats_.resumes += 1;
        std::optional<Event> event;
        try {
            if (auto error = std::exchange(task.error, nullptr)) event = task.coroutine.throw_into(error);
            else event = task.coroutine.send(std::exchange(task.answer, {}));
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
            else if constexpr (std::is_same_v<E, Read>) add_reader(index, e);
            else static_assert(detail::unhandled<E>, "the loop does not handle this event type");
        }, *event);
    }

    /// Files a Read, or refuses it: the error is thrown into the task at its `co_await` (it may
    /// catch it), in this same turn, through a timer that is due now.
    void add_reader(std::size_t index, const Read& read) {
        Task& task = tasks_[index];
        std::string refusal;
        if (read.fd < 0 || read.fd >= FD_SETSIZE)
            refusal = "select() cannot watch fd " + std::to_string(read.fd) + ": an fd_set holds fds 0 to " +
                      std::to_string(FD_SETSIZE - 1) + " (FD_SETSIZE), and FD_SET on a larger one would write "
                      "past its end; poll() or epoll have no such limit";
        else if (auto other = readers_.find(read.fd); other != readers_.end())
            refusal = "fd " + std::to_string(read.fd) + " already has a reader, task '" +
                      tasks_[other->second.task].name + "'";
        else if (read.amount == 0)
            refusal = "Read of 0 bytes from fd " + std::to_string(read.fd) + ": nothing to wait for";
        if (!refusal.empty()) {
            task.error = std::make_exception_ptr(std::invalid_argument(refusal));
            timers_.push(Timer{clock_.now(), next_order_++, index});
            return;
        }
        readers_.emplace(read.fd, Reader{index, read.amount, {}});
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
    std::map<int, Reader> readers_;   // ordered by fd: ready readers are served lowest fd first
    std::vector<Task> tasks_;
    std::uint64_t next_order_ = 0;
    LoopStats stats_;
};

} // namespace looplab::stage03
