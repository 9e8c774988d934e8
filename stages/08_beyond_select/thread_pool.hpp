/// @file
/// @brief ThreadPool: a few worker threads that run blocking jobs, so that the loop's thread never does.
///
/// **What this file adds.** Until now everything ran on one thread, and a blocking call stopped
/// everyone (stage 03's `blocking` demo). Some calls cannot be made non-blocking: reading a regular
/// file (select() and epoll call it always ready, and then read() waits for the disk), getaddrinfo(),
/// a library with no async interface, a long computation. asyncio hands them to a
/// concurrent.futures.ThreadPoolExecutor; this is the smallest one: a queue of jobs under a mutex, a
/// condition variable to sleep on, and N threads that take jobs in order and run them. It knows
/// nothing of the loop; executor.hpp connects the two.
///
/// **What it leaves out.** Growing and shrinking the pool (Python's starts threads as jobs arrive,
/// up to min(32, CPUs + 4)), per-job futures of its own, a timeout on shutdown, and any way to stop a
/// running job: C++ threads, like Python's, cannot be interrupted from outside.
/// **What it costs.** Each worker is a thread with its own stack (8 MB of address space by default on
/// Linux, touched only as used); each job is a std::function, a lock, and a wake-up of a sleeping worker.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "errors.hpp"

namespace looplab::inline stage08 {

/// A fixed number of worker threads running submitted jobs in submission order (started, not finished:
/// four workers run four jobs at once).
class ThreadPool {
public:
    /// Starts `workers` threads (at least one).
    explicit ThreadPool(int workers) {
        for (int i = 0; i < std::max(workers, 1); ++i) threads_.emplace_back([this] { work(); });
    }
    ThreadPool(const ThreadPool&) = delete;   // the threads hold `this`
    ~ThreadPool() { shutdown(); }   ///< Waits for every job, see shutdown().

    /// Queues `job` for the next free worker. Throws RuntimeError after shutdown().
    void submit(std::function<void()> job) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) throw RuntimeError("cannot schedule new futures after shutdown");
            jobs_.push_back(std::move(job));
        }
        wake_.notify_one();   // after unlocking, so the woken worker does not find the mutex taken
    }

    /// Refuses new jobs, lets the workers finish every job already queued, and joins them. It waits
    /// as long as the slowest job takes: a blocked job blocks shutdown (as Python's shutdown(wait=True)).
    /// Idempotent.
    void shutdown() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : threads_)
            if (t.joinable()) t.join();
    }

    /// How many worker threads there are.
    [[nodiscard]] int workers() const { return static_cast<int>(threads_.size()); }

private:
    // A worker: take the oldest job, run it without the lock held, repeat; leave when stopping and
    // nothing is left. A job must not throw (executor.hpp's jobs catch everything); if one does, the
    // exception leaves the thread and std::terminate ends the program, loudly.
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });   // also guards spurious wake-ups
                if (jobs_.empty()) return;   // stopping, and nothing left to do
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }

    std::mutex mutex_;                          // guards jobs_ and stopping_
    std::condition_variable wake_;              // "a job arrived, or we are stopping"
    std::deque<std::function<void()>> jobs_;    // oldest first
    bool stopping_ = false;
    std::vector<std::thread> threads_;          // last: started after everything they use exists
};

} // namespace looplab::stage08
