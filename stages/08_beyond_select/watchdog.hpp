/// @file
/// @brief Watchdog: a thread that notices, while it happens, that a callback is holding the loop.
///
/// **What this file adds.** A task that does not await holds the loop's only thread (stage 03's
/// `blocking`, stage 05's `selfish`). asyncio's debug mode times each callback and reports a slow one
/// *after it has returned*; if it never returns, nobody hears of it. The loop cannot report its own
/// stall, because it is the thing stuck. So a second thread watches, as curio's long-block monitor
/// does: the loop **publishes** what it runs (running() before each callback, idle() after), and
/// the watchdog wakes a few times per threshold to look. A callback still running after the threshold
/// is reported, with its name (`<Task worker>` for a task's step) and the loop time it began at.
///
/// **Once per stall.** Each published callback gets a number; the watchdog remembers the number it
/// last reported and stays quiet until a new callback stalls.
///
/// **Never while the loop sleeps.** The loop is idle between callbacks, and so in epoll_wait() or
/// select(): however long it sleeps, nothing is reported, because nothing is running.
///
/// **What is shared, and how.** Two atomics, the callback's number and the steady-clock time it
/// began (0: idle), which the watchdog reads without a lock on every look; and the callback's name,
/// a std::string that cannot be read while being written, under a mutex, read only for a report.
///
/// **What it leaves out.** A stack trace of the stalled task (curio prints one; C++ has no portable
/// way), and any way to *stop* the stall. **What it costs.** When on: per callback a lock, a copy of
/// its name and three atomic stores; a thread waking every quarter threshold. When off: a null test.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

#include "looplab/clock.hpp"

namespace looplab::inline stage08 {

/// A thread that reports a loop callback running longer than a threshold; see the file comment.
class Watchdog {
public:
    /// Receives one line per stall, on the watchdog's thread (so it must be thread-safe).
    using Report = std::function<void(const std::string&)>;

    /// Starts watching; `report` defaults to a line on standard error.
    explicit Watchdog(Duration threshold, Report report = {})
        : threshold_(threshold), report_(report ? std::move(report) : Report(print_to_stderr)) {
        thread_ = std::thread([this] { watch(); });
    }
    Watchdog(const Watchdog&) = delete;   // the thread holds `this`
    /// Stops the thread and waits for it.
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    /// The loop's thread, before a callback: publishes its name and the loop time.
    void running(const std::string& name, Duration loop_time) {
        {
            std::lock_guard lock(mutex_);
            name_ = name;
            loop_time_ = loop_time;
        }
        number_.fetch_add(1);
        started_.store(now_ns());
    }
    /// The loop's thread, after the callback: idle again (between callbacks, or asleep in the selector).
    void idle() { started_.store(0); }

    /// How many stalls were reported so far.
    [[nodiscard]] int reports() const { return reports_.load(); }

private:
    static void print_to_stderr(const std::string& line) { std::cerr << line << std::endl; }
    static std::int64_t now_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    void watch() {
        std::uint64_t reported = 0;   // the number of the last callback reported
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, threshold_ / 4, [this] { return stopping_; })) {
            const std::uint64_t number = number_.load();
            const std::int64_t started = started_.load();
            if (started == 0 || number == reported || now_ns() - started < threshold_.count()) continue;
            reported = number;
            // We hold the mutex: the loop cannot publish another callback until we are done reading.
            char secs[32];
            std::snprintf(secs, sizeof secs, "%.3f", static_cast<double>(now_ns() - started) / 1e9);
            const std::string line = "watchdog: the loop has been running " + name_ + " for " + secs + " s (since loop time " +
                                     format_time(loop_time_) + "); it has not returned to the selector";
            reports_.fetch_add(1);
            lock.unlock();   // report without the lock: the loop may go on meanwhile
            report_(line);
            lock.lock();
        }
    }

    const Duration threshold_;
    const Report report_;
    std::atomic<std::uint64_t> number_{0};   // callbacks published so far
    std::atomic<std::int64_t> started_{0};   // steady-clock ns the running callback began; 0 when idle
    std::atomic<int> reports_{0};
    std::mutex mutex_;                       // guards name_, loop_time_ and stopping_
    std::condition_variable wake_;           // "stop now"
    std::string name_;
    Duration loop_time_{};
    bool stopping_ = false;
    std::thread thread_;                     // last: started once everything it reads exists
};

} // namespace looplab::stage08
