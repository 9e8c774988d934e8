/// @file
/// @brief Selector: "which of these file descriptors are ready?", behind a small interface, on select().
///
/// **What this file adds.** The loop's one blocking call sits behind three functions (set_interest,
/// select, size): Redis' cut between ae.c and ae_select.c, so a later stage can add epoll and a test
/// can script one. SelectSelector refuses fds >= FD_SETSIZE (FD_SET would write past the fd_set),
/// retries on EINTR with the time left (PEP 475), and rounds the timeout *up* to whole microseconds
/// (500 ns rounded down to 0 would spin).
///
/// **What it leaves out.** select's exceptional set; other backends. **What it costs.** O(highest fd)
/// per call, in the kernel and here, as both fd_sets are rebuilt every time ("that's O(N)", says Redis).
#pragma once

#include <sys/select.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/fd.hpp"

namespace looplab::inline stage08 {

/// One descriptor that select() reported ready.
struct ReadyFd {
    int fd;          ///< the descriptor
    bool readable;   ///< ready for reading (or at EOF, or with an error pending)
    bool writable;   ///< ready for writing
};

/// What the loop needs from a readiness backend.
class Selector {
public:
    virtual ~Selector() = default;
    /// Declares what to watch on `fd`; watching neither forgets the fd.
    virtual void set_interest(int fd, bool read, bool write) = 0;
    /// Waits until a watched fd is ready or `timeout` passes (nullopt: no timeout; zero: just poll).
    virtual std::vector<ReadyFd> select(std::optional<Duration> timeout) = 0;
    [[nodiscard]] virtual std::size_t size() const = 0;   ///< How many descriptors are watched.
};

/// The select() backend. See the file comment for what it guards against.
class SelectSelector final : public Selector {
public:
    /// Refuses fds select() cannot watch (negative, or >= FD_SETSIZE).
    void set_interest(int fd, bool read, bool write) override {
        if (fd < 0 || fd >= FD_SETSIZE)
            throw std::invalid_argument("select() watches only fds 0.." + std::to_string(FD_SETSIZE - 1) + " (FD_SETSIZE); fd " +
                                        std::to_string(fd) + " is outside: FD_SET would write past the fd_set");
        if (read || write) interest_[fd] = Interest{read, write};
        else interest_.erase(fd);
    }

    /// One select() call, retried on EINTR with the time left.
    std::vector<ReadyFd> select(std::optional<Duration> timeout) override {
        using Steady = std::chrono::steady_clock;
        const auto deadline = timeout ? std::optional(Steady::now() + *timeout) : std::nullopt;
        for (;;) {
            fd_set readers, writers;
            FD_ZERO(&readers);
            FD_ZERO(&writers);
            int highest = -1;
            for (const auto& [fd, want] : interest_) {
                if (want.read) FD_SET(fd, &readers);
                if (want.write) FD_SET(fd, &writers);
                highest = fd;   // the map is sorted, so the last fd is the highest
            }
            std::optional<timeval> tv;
            if (deadline) {
                const auto left = std::max(Duration{0}, std::chrono::duration_cast<Duration>(*deadline - Steady::now()));
                const auto us = std::chrono::ceil<std::chrono::microseconds>(left).count();   // round up
                tv = timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
            }
            const int rc = ::select(highest + 1, &readers, &writers, nullptr, tv ? &*tv : nullptr);
            if (rc < 0 && errno == EINTR) continue;   // a signal is not an error: wait for the rest
            check(rc, "select");
            std::vector<ReadyFd> ready;
            for (const auto& [fd, want] : interest_) {
                const bool r = want.read && FD_ISSET(fd, &readers);
                const bool w = want.write && FD_ISSET(fd, &writers);
                if (r || w) ready.push_back(ReadyFd{fd, r, w});
            }
            return ready;
        }
    }

    [[nodiscard]] std::size_t size() const override { return interest_.size(); }   ///< How many descriptors are watched.

private:
    struct Interest { bool read, write; };
    std::map<int, Interest> interest_;
};

} // namespace looplab::stage08
