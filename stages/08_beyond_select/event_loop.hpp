/// @file
/// @brief EventLoop: a loop that knows nothing of coroutines. It runs callbacks: ready, timed, fd-ready.
///
/// **What this file adds: the split.** As in asyncio, the **loop** only runs callbacks, from a FIFO
/// ready queue (call_soon), a timer heap (call_later) and an fd table (add_reader); a **Future** calls
/// back when its result arrives; a **Task** drives a coroutine, one callback per step. run_once() has
/// the phases of CPython's `_run_once` (C05-C08) and runs only what was ready when it began, so a busy
/// callback cannot starve I/O. Under the virtual clock, waiting is a jump to the next deadline; with
/// nothing ready, no timer and no fd the loop throws where asyncio would hang.
///
/// **Stage 08: other threads.** call_soon_threadsafe() is the one method another thread may call
/// (threadsafe_queue.hpp); run_in_executor() builds on it (executor.hpp). A Watchdog, if set, is told
/// which callback runs, and when the loop is idle (watchdog.hpp).
///
/// **What it leaves out.** Subprocesses. **What it costs.** A Handle per callback, an O(log n) push
/// per timer, a clock reading and a selector call per iteration. A production loop (stage 09) makes
/// no Handle nobody can cancel and skips the selector call when it can.
#pragma once

#include <algorithm>
#include <cstdio>
#include <deque>
#include <tuple>
#include <type_traits>

#include "errors.hpp"
#include "handle.hpp"
#include "looplab/trace.hpp"
#include "epoll_selector.hpp"
#include "thread_pool.hpp"
#include "threadsafe_queue.hpp"
#include "watchdog.hpp"

namespace looplab::inline stage08 {

template <typename T> class Coroutine;
template <typename T> class Future;
template <typename T> class Task;
class AnyTask;
class EventLoop;
class SignalHandlers;
namespace detail {
class FutureBase;
class TaskBase;
using HandlePtr = std::shared_ptr<HandleState>;
inline thread_local EventLoop* running_loop = nullptr;   // see get_running_loop()
} // namespace detail

/// A callback event loop. See the file comment for the phases of one iteration.
class EventLoop {
public:
    /// A loop on `clock` (which must outlive it), watching fds with `selector` (epoll unless told), tracing to `tracer`.
    explicit EventLoop(Clock& clock, std::unique_ptr<Selector> selector = make_selector(),
                       Tracer* tracer = nullptr)
        : clock_(clock), selector_(std::move(selector)), tracer_(tracer) {
        // The loop's own reader: a thread's write makes the eventfd readable (call_soon_threadsafe).
        add_reader(incoming_.fd(), [this] { for (auto& h : incoming_.take()) ready_.push_back(std::move(h)); },
                   "wake-up (call_soon_threadsafe)");
    }
    EventLoop(const EventLoop&) = delete;   // it owns its callbacks
    ~EventLoop() { close(); }   ///< Closes the loop (see close()).
    [[nodiscard]] Duration time() const { return clock_.now(); }   ///< The clock's reading: loop time.
    [[nodiscard]] Tracer* tracer() const { return tracer_; }       ///< The tracer, or null.
    [[nodiscard]] bool tracing() const { return tracer_ != nullptr && tracer_->on(); }   ///< Worth building a note?

    /// Runs `callback` in the next iteration, after those scheduled before it (FIFO, C01); `name` is for reports.
    Handle call_soon(std::function<void()> callback, std::string name = "callback") {
        check_open();
        ready_.push_back(std::make_shared<detail::HandleState>(std::move(callback), std::move(name)));
        return Handle(ready_.back());
    }
    /// Runs `callback` once `delay` has passed (a delay <= 0 is allowed: due at once, C04).
    TimerHandle call_later(Duration delay, std::function<void()> callback, std::string name = "timer") {
        return call_at(time() + delay, std::move(callback), std::move(name));
    }
    /// Runs `callback` at loop time `when`. Equal deadlines run in scheduling order (C03).
    TimerHandle call_at(Duration when, std::function<void()> callback, std::string name = "timer") {
        check_open();
        auto h = std::make_shared<detail::HandleState>(std::move(callback), std::move(name));
        h->when = when;
        h->seq = next_seq_++;
        h->cancelled_count = &cancelled_timers_;   // while in the heap, cancel() counts itself there (C08)
        timers_.push_back(h);
        std::push_heap(timers_.begin(), timers_.end(), later);
        return TimerHandle(h);
    }
    /// Calls `callback` in every iteration in which `fd` is readable, until remove_reader(fd); a second
    /// add_reader replaces the first (C52). Throws on a closed loop, or an fd select() cannot watch.
    Handle add_reader(int fd, std::function<void()> callback, std::string name = "reader") {
        return add_fd_callback(true, fd, std::move(callback), std::move(name));
    }
    /// Calls `callback` in every iteration in which `fd` is writable, until remove_writer(fd).
    Handle add_writer(int fd, std::function<void()> callback, std::string name = "writer") {
        return add_fd_callback(false, fd, std::move(callback), std::move(name));
    }
    /// call_soon() for other threads, the only method they may call. The callbacks run on the loop's
    /// thread, in the next iteration, in the order each thread called. RuntimeError once closed.
    Handle call_soon_threadsafe(std::function<void()> callback, std::string name = "callback") {
        auto h = std::make_shared<detail::HandleState>(std::move(callback), std::move(name));
        incoming_.push(h);
        return Handle(std::move(h));
    }
    /// Runs `fn()` on a worker thread of the default executor; the Future completes on the loop's thread.
    template <typename F> Future<std::invoke_result_t<F&>> run_in_executor(F fn);   // executor.hpp
    /// The default executor's size, before its first use (asyncio's: min(32, CPUs + 4); looplab's: 4).
    void set_default_executor_workers(int workers) { executor_workers_ = workers; }
    /// Runs `callback` as an ordinary loop callback whenever signal `signo` arrives (signals.hpp).
    void add_signal_handler(int signo, std::function<void()> callback);
    bool remove_signal_handler(int signo);   ///< Restores the signal's old disposition; returns whether there was one.
    bool remove_reader(int fd) { return remove_fd_callback(true, fd); }    ///< Returns whether there was one.
    bool remove_writer(int fd) { return remove_fd_callback(false, fd); }   ///< Returns whether there was one.

    /// One iteration: the phases of CPython's `_run_once`, in order.
    void run_once() {
        // Phase 1: rebuild the heap when cancelled timers are the majority of a big heap (C08); drop those on top.
        if (timers_.size() > kMinTimersForCleanup && cancelled_timers_ * 2 > timers_.size()) {
            std::erase_if(timers_, [](const detail::HandlePtr& t) { return t->cancelled; });
            std::make_heap(timers_.begin(), timers_.end(), later);
            cancelled_timers_ = 0;
            ++heap_rebuilds_;
        }
        while (!timers_.empty() && timers_.front()->cancelled) pop_timer();

        // Phases 2 and 3: wait for fds (or the timeout), then queue the callbacks of the ready ones.
        for (const ReadyFd& ev : wait_for_events(select_timeout())) {
            if (ev.readable) queue_io(readers_, ev.fd, "readable");
            if (ev.writable) queue_io(writers_, ev.fd, "writable");
        }

        // Phase 4: due timers, earliest first. Due: before now + resolution, so a hair's wait is no spin (C07).
        const Duration end = time() + resolution_;
        while (!timers_.empty() && timers_.front()->when < end) {
            detail::HandlePtr h = pop_timer();
            if (tracing()) tracer_->timer_due(h->name, "deadline " + format_time(h->when));
            ready_.push_back(std::move(h));
        }

        // Phase 5: run exactly the callbacks ready now (C02); what they schedule waits for the next iteration.
        for (std::size_t ntodo = ready_.size(); ntodo > 0; --ntodo) {
            detail::HandlePtr h = std::move(ready_.front());
            ready_.pop_front();
            if (!h->cancelled) run_handle(*h);   // a cancelled handle never runs (C09)
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
        struct Reset {   // however run_once() ends, even by an exception
            EventLoop* loop;
            ~Reset() { loop->running_ = loop->stopping_ = false, detail::running_loop = nullptr; }
        } reset{this};
        do { run_once(); } while (!stopping_);
    }
    /// Ends run_forever() after the current iteration; called before it, makes it run exactly one (C10).
    void stop() { stopping_ = true; }
    /// Runs the loop until `future` is done and returns its result (or rethrows its exception); throws
    /// if stop() came first (C11). The next five need Future or Task: loop_tasks.hpp defines them.
    template <typename T> T run_until_complete(Future<T> future) { run_until_done(*future.state()); return future.result(); }
    /// The same for a future of any type, without its result (run() waits for its leftover tasks so).
    void run_until_done(detail::FutureBase& future);
    template <typename T> T run_until_complete(Coroutine<T> main);   ///< The same for `main`, wrapped in a Task.
    /// Schedules `coro` as a Task: its first step runs in the next iteration (C22).
    template <typename T> Task<T> create_task(Coroutine<T> coro, std::string name = {});
    std::vector<AnyTask> all_tasks() const;   ///< The tasks not done yet, oldest first.
    void close();   ///< Drops every callback, timer and fd; destroys pending tasks, reporting each (C33). Idempotent (C12).
    [[nodiscard]] bool is_closed() const { return closed_; }     ///< True after close().
    /// Replaces the exception handler (an empty function restores the default: print to stderr).
    void set_exception_handler(ExceptionHandler handler) { reporter_->handler = std::move(handler); }
    void call_exception_handler(const ErrorContext& ctx) const { reporter_->report(ctx); }   ///< Reports `ctx`.
    /// Publishes every callback to `watchdog` (null: none), which must outlive the loop's runs.
    void set_watchdog(Watchdog* watchdog) { watchdog_ = watchdog; }
    void set_debug(bool on) { debug_ = on; }   ///< Debug mode: report callbacks that run slow_callback_duration or more.
    [[nodiscard]] bool get_debug() const { return debug_; }   ///< Whether debug mode is on.
    Duration slow_callback_duration = std::chrono::milliseconds(100);   ///< asyncio's default: 0.1 s.
    void set_clock_resolution(Duration resolution) { resolution_ = resolution; }   ///< Timers due before now + it run (C07).
    [[nodiscard]] Duration clock_resolution() const { return resolution_; }   ///< See set_clock_resolution().
    [[nodiscard]] std::uint64_t iterations() const { return iterations_; }        ///< Iterations run so far.
    [[nodiscard]] std::size_t scheduled_timers() const { return timers_.size(); } ///< Timers in the heap.
    [[nodiscard]] std::uint64_t heap_rebuilds() const { return heap_rebuilds_; }  ///< C08 rebuilds so far.
    [[nodiscard]] std::size_t ready_count() const { return ready_.size(); }       ///< Callbacks ready.
private:
    friend class detail::FutureBase;   // reads reporter_
    friend class detail::TaskBase;     // keeps tasks_ and current_task_
    using FdTable = std::map<int, detail::HandlePtr>;

    static constexpr std::size_t kMinTimersForCleanup = 100;               // C08, as in asyncio
    static constexpr Duration kMaxSelectTimeout = std::chrono::hours(24);   // C05, as in asyncio
    // The heap's order: (deadline, scheduling order); std::push_heap builds a max-heap, so "less" means
    // later. A production loop copies the key into the heap entry, saving a pointer chase per comparison.
    static bool later(const detail::HandlePtr& a, const detail::HandlePtr& b) {
        return std::tie(a->when, a->seq) > std::tie(b->when, b->seq);
    }
    detail::HandlePtr pop_timer() {
        std::pop_heap(timers_.begin(), timers_.end(), later);
        detail::HandlePtr h = std::move(timers_.back());
        timers_.pop_back();
        if (h->cancelled) --cancelled_timers_;
        h->cancelled_count = nullptr;   // out of the heap: a later cancel() is not counted
        return h;
    }
    void check_open() const { if (closed_) throw RuntimeError("Event loop is closed"); }
    std::optional<Duration> select_timeout() const {
        if (!ready_.empty() || stopping_) return Duration{0};
        if (timers_.empty()) return std::nullopt;
        return std::clamp(timers_.front()->when - time(), Duration{0}, kMaxSelectTimeout);
    }
    // Phase 3's wait: on the real clock the selector sleeps; the virtual clock polls, then jumps. Our
    // wake-up fd does not count as watched: the loop knows only of the threads of executor jobs.
    std::vector<ReadyFd> wait_for_events(std::optional<Duration> timeout) {
        if (!timeout && selector_->size() <= 1 && executor_jobs_ == 0)
            throw RuntimeError("the event loop would wait forever: no callback is ready, no timer is scheduled "
                               "and no file descriptor is watched (a task awaits something nobody will complete)");
        if (!clock_.is_virtual()) return selector_->select(timeout);
        std::vector<ReadyFd> events = selector_->select(Duration{0});
        if (!events.empty() || timeout == Duration{0}) return events;
        // A thread works in real time: wait for real for its result, and never jump the clock past it.
        if (!timeout || executor_jobs_ > 0) return selector_->select(std::nullopt);
        clock_.sleep_until(time() + *timeout);   // the jump
        return events;
    }
    ThreadPool& default_executor() {
        if (!executor_) executor_ = std::make_unique<ThreadPool>(executor_workers_);   // started at first use
        return *executor_;
    }
    void queue_io(const FdTable& table, int fd, const char* what) {
        auto it = table.find(fd);
        if (it == table.end() || it->second->cancelled) return;
        if (tracing()) tracer_->io_ready(it->second->name, "fd " + std::to_string(fd) + " " + what);
        ready_.push_back(it->second);
    }
    // An exception the callback lets out goes to the exception handler (C13); debug mode reports slow ones (C14).
    void run_handle(detail::HandleState& h) {
        const Duration start = debug_ ? time() : Duration{};
        h.running = true;
        if (watchdog_ != nullptr) watchdog_->running(h.name, time());
        try { h.callback(); }
        catch (...) { call_exception_handler({"Exception in callback " + h.name, std::current_exception(), h.name}); }
        if (watchdog_ != nullptr) watchdog_->idle();
        h.running = false;
        if (h.cancelled) h.callback = nullptr;   // cancelled while running: free its captures now
        if (debug_ && time() - start >= slow_callback_duration) {
            char secs[32];
            std::snprintf(secs, sizeof secs, "%.3f", to_seconds(time() - start));
            call_exception_handler({"Executing " + h.name + " took " + secs + " seconds", nullptr, {}});
        }
    }
    Handle add_fd_callback(bool read, int fd, std::function<void()> callback, std::string name) {
        check_open();
        selector_->set_interest(fd, read || readers_.contains(fd), !read || writers_.contains(fd));   // may refuse fd
        detail::HandlePtr& slot = (read ? readers_ : writers_)[fd];
        if (slot) slot->cancel();   // replaced (C52): the old callback never runs again
        slot = std::make_shared<detail::HandleState>(std::move(callback), std::move(name));
        return Handle(slot);
    }
    bool remove_fd_callback(bool read, int fd) {
        FdTable& table = read ? readers_ : writers_;
        auto it = table.find(fd);
        if (closed_ || it == table.end()) return false;
        it->second->cancel();
        table.erase(it);
        selector_->set_interest(fd, readers_.contains(fd), writers_.contains(fd));
        return true;
    }
    Clock& clock_;
    std::unique_ptr<Selector> selector_;
    Tracer* tracer_;
    std::shared_ptr<detail::Reporter> reporter_ = std::make_shared<detail::Reporter>();
    std::deque<detail::HandlePtr> ready_;
    std::vector<detail::HandlePtr> timers_;   // a min-heap, see later()
    std::size_t cancelled_timers_ = 0;        // cancelled timers still in timers_ (C08)
    std::uint64_t next_seq_ = 0;
    FdTable readers_, writers_;   // a reader and a writer of one fd share one selector entry (C52)
    bool running_ = false, stopping_ = false, closed_ = false, debug_ = false;
    Duration resolution_{1};   // 1 ns: a steady_clock tick
    std::uint64_t iterations_ = 0, heap_rebuilds_ = 0;
    // Pending tasks by number, held strongly (asyncio holds them weakly): an unreferenced task still runs.
    std::map<std::uint64_t, std::shared_ptr<detail::TaskBase>> tasks_;
    std::uint64_t next_task_number_ = 1;
    detail::TaskBase* current_task_ = nullptr;   // the task whose step is running (C32)
    // Threads (stage 08): incoming_ is the only member another thread touches.
    detail::ThreadsafeQueue incoming_;    // call_soon_threadsafe()'s callbacks
    std::size_t executor_jobs_ = 0;       // run_in_executor() results not yet delivered
    int executor_workers_ = 4;
    std::unique_ptr<ThreadPool> executor_;   // the default executor, made at first use
    Watchdog* watchdog_ = nullptr;
    std::shared_ptr<SignalHandlers> signals_;   // while a signal handler is set (signals.hpp)
};

/// The loop whose run_forever() is executing on this thread; throws RuntimeError when there is none.
inline EventLoop& get_running_loop() {
    if (detail::running_loop == nullptr) throw RuntimeError("no running event loop");
    return *detail::running_loop;
}

} // namespace looplab::stage08
