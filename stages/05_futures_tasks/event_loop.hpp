/// @file
/// @brief EventLoop: a loop that knows nothing of coroutines. It runs callbacks: ready ones, due
/// timers, and those of file descriptors that select() says are ready.
///
/// **What this file adds: the split.** Stages 02-04 had the loop resume coroutines and inspect the
/// events they yielded. asyncio splits that job in two, and so does this stage:
///  - the **loop** (this file) only runs callbacks. It has a FIFO ready queue (call_soon), a heap of
///    timers (call_later, call_at) and a table of fd callbacks (add_reader, add_writer);
///  - a **Future** (future.hpp) is a slot for a result that will arrive later, with callbacks to run
///    when it does; a **Task** (task.hpp) is a Future that drives a coroutine: each step of the
///    coroutine is a callback, and whenever the coroutine awaits a pending Future, the Task asks that
///    Future to call it back when done. That is how callbacks turn back into coroutines.
///
/// **One iteration, run_once(), in order** (CPython's `_run_once`, CONFORMANCE C05-C08):
///  1. drop cancelled timers at the top of the heap (or rebuild the heap when more than half of more
///     than 100 timers are cancelled);
///  2. compute the select timeout: 0 when callbacks are ready or the loop is stopping; else the time
///     to the earliest timer, clamped to [0, 1 day]; else none (wait for an fd);
///  3. select(), and queue the callbacks of the ready fds;
///  4. move the timers that are due (deadline < now + clock resolution) to the ready queue;
///  5. run the callbacks that are ready *now*: exactly as many as the queue holds at this point.
///     Anything they schedule waits for the next iteration, so one busy callback cannot starve I/O.
/// I/O callbacks are queued before due timers, so they run first within an iteration.
///
/// **Time.** The loop reads common/'s Clock. Under the virtual clock, "waiting" means jumping: the loop
/// first polls the fds with a zero timeout, and if nothing is ready it moves the clock to the next
/// deadline instead of sleeping. A loop with nothing ready, no timer and no fd could never wake up
/// again (looplab has no threads calling into the loop), so run_once() throws instead of hanging; on
/// either clock. asyncio would block forever there, because another thread might call
/// call_soon_threadsafe(); looplab has no such thing.
///
/// **The running loop.** Library coroutines (sleep, Queue::get...) need to find the loop without being
/// handed it, so, like asyncio, the loop that is running on this thread is remembered in a
/// thread-local variable: get_running_loop(). It is set only while run_forever() runs.
///
/// **Errors.** An exception escaping a callback is not allowed to stop the loop: it goes to the
/// exception handler ("Exception in callback <name>"), and the loop goes on (C13). The same handler
/// hears the diagnostics of futures and tasks ("Task exception was never retrieved", ...) and, in
/// debug mode, of slow callbacks ("Executing <Task main> took 0.250 seconds"). Tests install a
/// handler to capture them; the default one prints to stderr.
///
/// **What it leaves out.** Signals, subprocesses, threads (call_soon_threadsafe, run_in_executor),
/// socket operations and streams (the next phase of this stage), and any selector but select().
///
/// **The ready queue holds three kinds of work.** A callback given to call_soon() needs a Handle (the
/// caller may cancel it), so it costs a heap allocation. But most of what a busy loop runs is not
/// that: it is a task's next step, or a done-callback of a future that just completed. Neither can be
/// cancelled through a Handle, so the queue holds them as they are, with no allocation:
///  - `std::shared_ptr<HandleState>`: a call_soon() callback, a due timer, a ready fd's callback;
///  - `TaskStep`: "resume this task" (its first step, after sleep(0), or a wake-up);
///  - `DoneCallback`: a future's done-callback, moved out of the future, with the future it receives.
/// asyncio makes a Handle for every one of them; the C++ variant is what makes this loop fast without
/// changing what a program can observe (the order is the same FIFO order, C01/C17).
///
/// **What it costs.** call_soon: one heap allocation (the Handle) and a deque push. A task step or a
/// done-callback: a deque push, no allocation. call_later: a Handle plus an O(log n) heap push. Per
/// iteration: one select() call (O(highest fd)) when there are fds to watch or time to wait; a loop
/// with callbacks ready and no fd skips the system call.
#pragma once

#include <algorithm>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>
#include <variant>
#include <vector>

#include "errors.hpp"
#include "handle.hpp"
#include "looplab/clock.hpp"
#include "looplab/trace.hpp"
#include "selector.hpp"

namespace looplab::inline stage05 {

template <typename T>
class Coroutine;
template <typename T>
class Future;
template <typename T>
class Task;
class AnyTask;
class EventLoop;

namespace detail {
class FutureBase;
class TaskBase;
template <typename T>
Task<T> make_task(EventLoop& loop, Coroutine<T> coro, std::string name);
TaskBase* suspend_current_task_on(FutureBase& future, std::coroutine_handle<> waiting);
void run_task_step(TaskBase* task);   // defined in task.hpp
TaskBase* running_task();             // the task whose step runs now, or null; defined in task.hpp
std::string task_step_name(TaskBase* task);   // "<Task name>", for reports; defined in task.hpp

/// Ready-queue work: resume this task (it is pending, so the loop's list of tasks keeps it alive).
struct TaskStep {
    TaskBase* task;   ///< the task whose next step is due
};

/// What a user's done-callback (Future::add_done_callback) carries besides the call: its name, and
/// its identity for remove_done_callback(fn). Internal callbacks (gather, run_until_complete) need
/// neither, so they are named by a string literal and pay for no such record.
struct UserCallback {
    std::string name;                    ///< for "Exception in callback <name>"
    const std::type_info* key_type;      ///< the callable's type, when it can be compared with ==
    std::shared_ptr<void> key;           ///< a copy of the callable, to compare with
};

/// Ready-queue work: a done-callback of a future that completed, moved out of the future.
struct DoneCallback {
    std::shared_ptr<FutureBase> future;        ///< the future it is called with (kept alive until then)
    std::function<void(FutureBase&)> fn;       ///< the callback
    const char* label;                         ///< an internal callback's name
    std::unique_ptr<UserCallback> user;        ///< a user's callback's name (null for internal ones)
    /// The name for "Exception in callback <name>".
    [[nodiscard]] std::string name() const { return user ? user->name : std::string(label); }
};

/// One entry of the ready queue: see "The ready queue holds three kinds of work" above.
using ReadyItem = std::variant<std::shared_ptr<HandleState>, TaskStep, DoneCallback>;
} // namespace detail

/// What the exception handler is told.
struct ErrorContext {
    std::string message;           ///< e.g. "Exception in callback tick", "Task was destroyed but it is pending!"
    std::exception_ptr exception;  ///< the exception, when there is one
    std::string source;            ///< the callback, future or task concerned (its name)
};

/// Receives every error the loop cannot hand to anyone else.
using ExceptionHandler = std::function<void(const ErrorContext&)>;

/// Formats a report as the default handler prints it: "message: <source>: exception".
inline std::string format_report(const ErrorContext& ctx) {
    std::string s = ctx.message;
    if (!ctx.source.empty()) s += " (" + ctx.source + ")";
    if (ctx.exception) s += ": " + describe(ctx.exception);
    return s;
}

namespace detail {
/// The report sink. Shared (not owned by the loop alone) because a Future may be destroyed after
/// its loop, and must still be able to say "exception was never retrieved".
struct Reporter {
    ExceptionHandler handler;
    void report(const ErrorContext& ctx) const {
        if (handler) {
            handler(ctx);
        } else {
            std::cerr << "looplab: " << format_report(ctx) << '\n';
        }
    }
};

/// The loop running on this thread, if any (see get_running_loop()).
inline thread_local EventLoop* running_loop = nullptr;
} // namespace detail

/// The loop whose run_forever() is executing on this thread; throws RuntimeError when there is none.
/// Library coroutines use it to find their loop, as asyncio.get_running_loop() does.
EventLoop& get_running_loop();

/// A callback event loop. See the file comment for the phases of one iteration.
class EventLoop {
public:
    /// A loop on `clock` (which must outlive it), watching fds with `selector`, reporting scheduling
    /// decisions to `tracer` when it is given and on.
    explicit EventLoop(Clock& clock, std::unique_ptr<Selector> selector = std::make_unique<SelectSelector>(),
                       Tracer* tracer = nullptr)
        : clock_(clock), selector_(std::move(selector)), tracer_(tracer), reporter_(std::make_shared<detail::Reporter>()) {}
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    /// Closes the loop (see close()).
    ~EventLoop() { close(); }

    /// The loop's clock reading: the time every deadline is measured in.
    [[nodiscard]] Duration time() const { return clock_.now(); }
    /// The clock itself.
    [[nodiscard]] Clock& clock() const { return clock_; }
    /// The tracer, or null.
    [[nodiscard]] Tracer* tracer() const { return tracer_; }
    /// True when a tracer is attached and on (test before building detail strings).
    [[nodiscard]] bool tracing() const { return tracer_ != nullptr && tracer_->on(); }

    /// Runs `callback` in the next iteration, after every callback scheduled before it (FIFO, C01).
    /// `name` appears in error reports and traces.
    Handle call_soon(std::function<void()> callback, std::string name = "callback") {
        check_open();
        auto h = std::make_shared<detail::HandleState>();
        h->callback = std::move(callback);
        h->name = std::move(name);
        ready_.push_back(h);
        return Handle(h);
    }

    /// Runs `callback` once `delay` has passed (a delay <= 0 is allowed: due at once, C04).
    TimerHandle call_later(Duration delay, std::function<void()> callback, std::string name = "timer") {
        return call_at(time() + delay, std::move(callback), std::move(name));
    }

    /// Runs `callback` at loop time `when`. Equal deadlines run in scheduling order (C03).
    TimerHandle call_at(Duration when, std::function<void()> callback, std::string name = "timer") {
        check_open();
        auto h = std::make_shared<detail::HandleState>();
        h->callback = std::move(callback);
        h->name = std::move(name);
        h->when = when;
        h->seq = next_seq_++;
        h->heap_cancelled = &cancelled_timers_;
        timers_.push_back(Timer{when, h->seq, h});
        std::push_heap(timers_.begin(), timers_.end(), Later{});
        return TimerHandle(h);
    }

    /// Calls `callback` in every iteration in which `fd` is readable, until remove_reader(fd). A
    /// second add_reader on the same fd replaces the first (C52). Throws on a closed loop, and for an
    /// fd the selector cannot watch.
    Handle add_reader(int fd, std::function<void()> callback, std::string name = "reader") {
        return add_fd_callback(fd, true, std::move(callback), std::move(name));
    }
    /// Stops watching `fd` for reading; returns whether a reader was registered.
    bool remove_reader(int fd) { return remove_fd_callback(fd, true); }
    /// Calls `callback` in every iteration in which `fd` is writable, until remove_writer(fd).
    Handle add_writer(int fd, std::function<void()> callback, std::string name = "writer") {
        return add_fd_callback(fd, false, std::move(callback), std::move(name));
    }
    /// Stops watching `fd` for writing; returns whether a writer was registered.
    bool remove_writer(int fd) { return remove_fd_callback(fd, false); }

    /// One iteration: the five phases of the file comment, in order.
    void run_once() {
        // Phase 1: cancelled timers. Rebuild when they are the majority of a big heap (C08), else drop
        // the ones at the top, which are the only ones that would otherwise get in the way.
        if (timers_.size() > kMinTimersForCleanup && cancelled_timers_ * 2 > timers_.size()) {
            std::vector<Timer> kept;
            kept.reserve(timers_.size() - cancelled_timers_);
            for (Timer& t : timers_) {
                if (t.handle->cancelled) {
                    t.handle->heap_cancelled = nullptr;
                } else {
                    kept.push_back(std::move(t));
                }
            }
            timers_ = std::move(kept);
            std::make_heap(timers_.begin(), timers_.end(), Later{});
            cancelled_timers_ = 0;
            ++heap_rebuilds_;
        } else {
            while (!timers_.empty() && timers_.front().handle->cancelled) pop_timer();
        }

        // Phase 2: how long select() may wait (C05).
        const std::optional<Duration> timeout = select_timeout();

        // Phase 3: wait for fds (or for the timeout), then queue the callbacks of the ready ones.
        const std::vector<ReadyFd> events = wait_for_events(timeout);
        for (const ReadyFd& ev : events) {
            auto it = fds_.find(ev.fd);
            if (it == fds_.end()) continue;
            if (ev.readable && it->second.reader && !it->second.reader->cancelled) queue_io(it->second.reader, ev.fd, "readable");
            if (ev.writable && it->second.writer && !it->second.writer->cancelled) queue_io(it->second.writer, ev.fd, "writable");
        }

        // Phase 4: due timers join the ready queue, earliest first. "Due" means before now plus the
        // clock's resolution, so a timer a hair in the future does not cost a spin (C07). The clock is
        // read only when there is a timer: a loop busy with ready callbacks would otherwise pay for a
        // clock_gettime() per iteration (a seventh of the Queue ping-pong's time, measured).
        const Duration end = timers_.empty() ? Duration{} : time() + resolution_;
        while (!timers_.empty()) {
            const Timer& top = timers_.front();
            if (top.handle->cancelled) {
                pop_timer();
                continue;
            }
            if (top.when >= end) break;
            auto h = pop_timer();
            if (tracing()) tracer_->timer_due(h->name, "deadline " + format_time(h->when));
            ready_.push_back(std::move(h));
        }

        // Phase 5: run exactly the callbacks that are ready now (C02). Whatever they schedule goes to
        // the back of the queue and waits for the next iteration.
        const std::size_t ntodo = ready_.size();
        for (std::size_t i = 0; i < ntodo; ++i) {
            detail::ReadyItem item = std::move(ready_.front());
            ready_.pop_front();
            std::visit(Run{*this}, item);
        }
        ++iterations_;
    }

    /// Runs iterations until stop() is called (C10).
    void run_forever() {
        check_open();
        if (running_) throw RuntimeError("This event loop is already running");
        if (detail::running_loop != nullptr) throw RuntimeError("Cannot run the event loop while another loop is running");
        running_ = true;
        detail::running_loop = this;
        struct Reset {
            EventLoop* loop;
            ~Reset() {
                loop->running_ = false;
                loop->stopping_ = false;
                detail::running_loop = nullptr;
            }
        } reset{this};
        for (;;) {
            run_once();
            if (stopping_) break;
        }
    }

    /// Asks run_forever() to return once the current iteration is complete. Called before
    /// run_forever(), it makes run_forever() run exactly one iteration, with a zero select timeout.
    void stop() { stopping_ = true; }

    /// Wraps `main` in a Task, runs the loop until that task is done, and returns its result (or
    /// rethrows its exception). Throws RuntimeError "Event loop stopped before Future completed." if
    /// stop() ended the loop first (C11). Defined in task.hpp.
    template <typename T>
    T run_until_complete(Coroutine<T> main);
    /// Runs the loop until `future` is done; returns its result. Defined in task.hpp.
    template <typename T>
    T run_until_complete(Future<T> future);

    /// Schedules `coro` as a Task: its first step runs in the next iteration (C22). Defined in task.hpp.
    template <typename T>
    Task<T> create_task(Coroutine<T> coro, std::string name = {});

    /// Every task of this loop that is not done yet, oldest first. Defined in task.hpp.
    std::vector<AnyTask> all_tasks() const;

    /// Closes the loop: drops every callback and timer, forgets every fd, and destroys pending tasks,
    /// each reported as "Task was destroyed but it is pending!" (C33). Idempotent; an error while the
    /// loop is running (C12). Defined in task.hpp, which knows what a task is.
    void close();
    /// True after close().
    [[nodiscard]] bool is_closed() const { return closed_; }
    /// True while run_forever() runs.
    [[nodiscard]] bool is_running() const { return running_; }

    /// Replaces the exception handler (an empty function restores the default: print to stderr).
    void set_exception_handler(ExceptionHandler handler) { reporter_->handler = std::move(handler); }
    /// Reports `ctx` through the exception handler.
    void call_exception_handler(const ErrorContext& ctx) const { reporter_->report(ctx); }

    /// Debug mode: report every callback or task step that runs for slow_callback_duration or more.
    void set_debug(bool on) { debug_ = on; }
    /// Whether debug mode is on.
    [[nodiscard]] bool get_debug() const { return debug_; }
    /// The threshold of the slow-callback report (asyncio's default: 0.1 s).
    Duration slow_callback_duration = std::chrono::milliseconds(100);

    /// Timers due before now + resolution are run (C07). Defaults to 1 ns: a steady_clock tick.
    void set_clock_resolution(Duration resolution) { resolution_ = resolution; }
    /// The clock resolution used to decide that a timer is due.
    [[nodiscard]] Duration clock_resolution() const { return resolution_; }

    /// Iterations run so far (tests count them).
    [[nodiscard]] std::uint64_t iterations() const { return iterations_; }
    /// Timers in the heap, cancelled ones included (tests watch the lazy deletion).
    [[nodiscard]] std::size_t scheduled_timers() const { return timers_.size(); }
    /// Times the heap was rebuilt to drop cancelled timers.
    [[nodiscard]] std::uint64_t heap_rebuilds() const { return heap_rebuilds_; }
    /// Callbacks waiting in the ready queue.
    [[nodiscard]] std::size_t ready_count() const { return ready_.size(); }

private:
    friend class detail::FutureBase;
    friend class detail::TaskBase;
    friend AnyTask current_task();
    friend detail::TaskBase* detail::running_task();
    template <typename T>
    friend Task<T> detail::make_task(EventLoop&, Coroutine<T>, std::string);
    friend detail::TaskBase* detail::suspend_current_task_on(detail::FutureBase&, std::coroutine_handle<>);

    // Phase 1 helper: a C08 rebuild only pays off for big heaps, as in asyncio.
    static constexpr std::size_t kMinTimersForCleanup = 100;
    // C05: asyncio clamps the timeout to one day (select() rejects huge values on some systems).
    static constexpr Duration kMaxSelectTimeout = std::chrono::hours(24);

    // One heap entry. The sort key (deadline, scheduling order) is copied into the entry, next to the
    // handle, instead of read through it: an O(log n) push or pop compares log n entries, and a
    // comparison that had to follow a pointer to a handle elsewhere in memory would miss the cache
    // each time (with 10^5 timers that was a fifth of the loop's time).
    struct Timer {
        Duration when;
        std::uint64_t seq;
        std::shared_ptr<detail::HandleState> handle;
    };
    // A min-heap on (deadline, scheduling order): std::push_heap builds a max-heap, so "less" means later.
    struct Later {
        bool operator()(const Timer& a, const Timer& b) const {
            if (a.when != b.when) return a.when > b.when;
            return a.seq > b.seq;
        }
    };

    std::shared_ptr<detail::HandleState> pop_timer() {
        std::pop_heap(timers_.begin(), timers_.end(), Later{});
        std::shared_ptr<detail::HandleState> h = std::move(timers_.back().handle);
        timers_.pop_back();
        if (h->cancelled && cancelled_timers_ > 0) --cancelled_timers_;
        h->heap_cancelled = nullptr;
        return h;
    }

    void check_open() const {
        if (closed_) throw RuntimeError("Event loop is closed");
    }

    std::optional<Duration> select_timeout() const {
        if (!ready_.empty() || stopping_) return Duration{0};
        if (!timers_.empty()) {
            const Duration wait = timers_.front().when - time();
            return std::clamp(wait, Duration{0}, Duration{kMaxSelectTimeout});
        }
        return std::nullopt;
    }

    // Phase 3's wait. On the real clock select() does the sleeping. On the virtual clock the fds are
    // polled first; when none is ready the clock jumps to the next deadline instead of sleeping.
    std::vector<ReadyFd> wait_for_events(std::optional<Duration> timeout) {
        const bool nothing_to_wait_for = !timeout && selector_->size() == 0;
        if (nothing_to_wait_for)
            throw RuntimeError("the event loop would wait forever: no callback is ready, no timer is scheduled "
                               "and no file descriptor is watched (a task awaits something nobody will complete)");
        // No fd to watch and no time to wait (callbacks are ready): select() could only report
        // nothing, so skip the system call. A busy loop without sockets would otherwise pay one per
        // iteration.
        if (selector_->size() == 0 && timeout && *timeout == Duration{0}) return {};
        if (!clock_.is_virtual()) return selector_->select(timeout);
        std::vector<ReadyFd> events = selector_->select(Duration{0});
        if (events.empty() && timeout && *timeout > Duration{0}) {
            clock_.sleep_until(time() + *timeout);   // the jump
        } else if (events.empty() && !timeout) {
            events = selector_->select(std::nullopt);   // only an fd can wake us: wait for it for real
        }
        return events;
    }

    void queue_io(const std::shared_ptr<detail::HandleState>& h, int fd, const char* what) {
        if (tracing()) tracer_->io_ready(h->name, "fd " + std::to_string(fd) + " " + what);
        ready_.push_back(h);
    }

    // Phase 5's dispatch: one operator() per kind of ready work, so adding a kind to ReadyItem is a
    // compile error until the loop knows how to run it.
    struct Run {
        EventLoop& loop;
        void operator()(const std::shared_ptr<detail::HandleState>& h) const {
            if (h->cancelled) return;   // a cancelled handle never runs (C09)
            detail::HandleState& handle = *h;
            handle.running = true;
            loop.guarded([&] { handle.callback(); }, [&] { return handle.name; });
            handle.running = false;
            if (handle.cancelled) handle.callback = nullptr;   // cancelled while running: free its captures now
            // One-shot handles are done; fd handles stay registered. Either way the std::function stays
            // until the last owner (ready queue, fd table) lets go.
        }
        void operator()(detail::TaskStep s) const {
            loop.guarded([&] { detail::run_task_step(s.task); }, [&] { return detail::task_step_name(s.task); });
        }
        void operator()(detail::DoneCallback& c) const {
            loop.guarded([&] { c.fn(*c.future); }, [&] { return c.name(); });
        }
    };

    // Calls `call`: an exception it lets out goes to the exception handler (C13), and in debug mode a
    // slow call is reported (C14). `name` makes the callback's name, only when a report needs it.
    template <typename Call, typename Name>
    void guarded(const Call& call, const Name& name) {
        const Duration start = debug_ ? time() : Duration{};
        try {
            call();
        } catch (...) {
            const std::string n = name();
            call_exception_handler({"Exception in callback " + n, std::current_exception(), n});
        }
        if (debug_) {
            const Duration took = time() - start;
            if (took >= slow_callback_duration) {
                char secs[32];
                std::snprintf(secs, sizeof secs, "%.3f", to_seconds(took));
                call_exception_handler({"Executing " + name() + " took " + secs + " seconds", nullptr, {}});
            }
        }
    }

    Handle add_fd_callback(int fd, bool read, std::function<void()> callback, std::string name) {
        check_open();
        auto& entry = fds_[fd];
        auto& slot = read ? entry.reader : entry.writer;
        auto h = std::make_shared<detail::HandleState>();
        h->callback = std::move(callback);
        h->name = std::move(name);
        try {
            selector_->set_interest(fd, read || entry.reader, !read || entry.writer);
        } catch (...) {
            if (!entry.reader && !entry.writer) fds_.erase(fd);
            throw;
        }
        if (slot) slot->cancel();   // replaced: the old callback never runs again
        slot = h;
        return Handle(h);
    }

    bool remove_fd_callback(int fd, bool read) {
        if (closed_) return false;
        auto it = fds_.find(fd);
        if (it == fds_.end()) return false;
        auto& slot = read ? it->second.reader : it->second.writer;
        if (!slot) return false;
        slot->cancel();
        slot.reset();
        selector_->set_interest(fd, it->second.reader != nullptr, it->second.writer != nullptr);
        if (!it->second.reader && !it->second.writer) fds_.erase(it);
        return true;
    }

    // One registration per fd, holding its reader and its writer (C52).
    struct FdCallbacks {
        std::shared_ptr<detail::HandleState> reader;
        std::shared_ptr<detail::HandleState> writer;
    };

    Clock& clock_;
    std::unique_ptr<Selector> selector_;
    Tracer* tracer_;
    std::shared_ptr<detail::Reporter> reporter_;
    std::deque<detail::ReadyItem> ready_;
    std::vector<Timer> timers_;
    std::size_t cancelled_timers_ = 0;
    std::uint64_t next_seq_ = 0;
    std::map<int, FdCallbacks> fds_;
    bool running_ = false;
    bool stopping_ = false;
    bool closed_ = false;
    bool debug_ = false;
    Duration resolution_{1};
    std::uint64_t iterations_ = 0;
    std::uint64_t heap_rebuilds_ = 0;
    detail::TaskBase* current_task_ = nullptr;   // the task whose step is running (C32)
    // Pending tasks, oldest first: a doubly linked list whose links live in the tasks themselves
    // (TaskBase::older_/newer_), so registering and unregistering a task cost O(1) and no allocation.
    // The loop holds them strongly (each pending task keeps a reference to itself): a task nobody
    // else references still runs to completion (asyncio keeps only weak references, and warns users
    // to keep their own).
    detail::TaskBase* oldest_task_ = nullptr;
    detail::TaskBase* newest_task_ = nullptr;
    std::uint64_t next_task_number_ = 1;
};

inline EventLoop& get_running_loop() {
    if (detail::running_loop == nullptr) throw RuntimeError("no running event loop");
    return *detail::running_loop;
}

} // namespace looplab::stage05
