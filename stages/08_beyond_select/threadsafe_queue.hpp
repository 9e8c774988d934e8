/// @file
/// @brief ThreadsafeQueue: how another thread hands the loop a callback, and wakes it to run it.
///
/// **What this file adds.** The loop's thread spends its idle time asleep in epoll_wait() (or
/// select()), and nothing but a watched fd or a timeout wakes it. So a thread that wants the loop to
/// run something does two things: it appends the callback to this queue, under a mutex (the loop's
/// own queues are not safe to touch from two threads), and it writes to an **eventfd**, a kernel
/// counter with a file descriptor that is readable while the counter is not zero. The loop watches
/// that fd like any other; its reader callback reads the counter (back to zero) and takes the queue.
/// asyncio does the same with a socketpair (its "self-pipe"); Linux's eventfd is one fd, not two.
///
/// **Why read before take.** If the loop took the queue and *then* reset the counter, a callback
/// queued in between would sit there with the counter at zero and nobody awake to see it. Reading
/// first means any push after the read writes again, so the next iteration finds it.
///
/// **What it leaves out.** A lock-free queue; coalescing writes (asyncio writes only when the loop
/// may be asleep). **What it costs.** One eventfd per loop; per call a lock, a heap node for the
/// Handle, and a write() system call; per batch a read() and a lock.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "errors.hpp"
#include "handle.hpp"
#include "looplab/fd.hpp"

namespace looplab::inline stage08::detail {

/// Callbacks from other threads, waiting for the loop; see the file comment.
class ThreadsafeQueue {
public:
    /// The fd the loop watches: readable once something was pushed.
    [[nodiscard]] int fd() const { return wakeup_.get(); }

    /// Any thread: queues `h` and wakes the loop. RuntimeError once closed.
    void push(std::shared_ptr<HandleState> h) {
        {
            std::lock_guard lock(mutex_);
            if (closed_) throw RuntimeError("Event loop is closed");
            queued_.push_back(std::move(h));
        }
        const std::uint64_t one = 1;   // adds 1 to the counter: readable until the loop reads it
        check(::write(wakeup_.get(), &one, sizeof one), "write(eventfd)");
    }

    /// The loop's thread: resets the counter, then takes everything queued, oldest first.
    std::vector<std::shared_ptr<HandleState>> take() {
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t n = ::read(wakeup_.get(), &count, sizeof count);   // EAGAIN: already zero
        std::vector<std::shared_ptr<HandleState>> arrived;
        std::lock_guard lock(mutex_);
        arrived.swap(queued_);
        return arrived;
    }

    /// The loop's thread, at close: refuse further pushes and drop what is queued (here, on this thread).
    void close() {
        std::vector<std::shared_ptr<HandleState>> dropped;
        std::lock_guard lock(mutex_);
        closed_ = true;
        dropped.swap(queued_);
    }

private:
    std::mutex mutex_;                                   // guards queued_ and closed_
    std::vector<std::shared_ptr<HandleState>> queued_;   // in arrival order: each thread's calls stay in its order
    bool closed_ = false;
    UniqueFd wakeup_{check(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")};
};

} // namespace looplab::stage08::detail
