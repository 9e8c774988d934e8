/// @file
/// @brief Selector: "which of these file descriptors are ready?", behind a small interface, on select().
///
/// **What this file adds.** The loop needs one blocking call that waits for *either* a file descriptor
/// to become readable or writable *or* a timeout. Stage 03 called select() inline; here the call sits
/// behind a three-function interface (set_interest, select, size), the same cut Redis makes between
/// ae.c and ae_select.c, so a later stage can add an epoll backend without touching the loop. A test
/// can also hand the loop a scripted selector that records the timeouts it was asked for.
///
/// **What SelectSelector does carefully.**
///  - select() can only watch descriptors below FD_SETSIZE (1024 on Linux): FD_SET on a larger fd
///    writes past the end of the fd_set. set_interest() refuses such an fd with a clear error instead.
///  - A signal may interrupt select() (EINTR). That is not an error, so it is retried with the time
///    that is left (PEP 475 does the same for Python's selectors).
///  - The timeout is rounded *up* to whole microseconds: rounding 500 ns down to 0 would make the loop
///    spin without sleeping until the timer is due.
///
/// **What it leaves out.** Exceptional conditions (select's third set), and any backend but select().
///
/// **What it costs.** select() is O(highest fd) per call, in the kernel and here: both fd_sets are
/// rebuilt from the interest table on every call ("that's O(N)", as Redis' comment says). Fine for
/// the tens of descriptors of a demo; a later stage measures where it stops being fine.
#pragma once

#include <sys/select.h>
#include <sys/time.h>

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

namespace looplab::inline stage07 {

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
    /// How many descriptors are watched.
    [[nodiscard]] virtual std::size_t size() const = 0;
};

/// The select() backend. See the file comment for what it guards against.
class SelectSelector final : public Selector {
public:
    /// Refuses fds select() cannot watch (negative, or >= FD_SETSIZE).
    void set_interest(int fd, bool read, bool write) override {
        if (fd < 0 || fd >= FD_SETSIZE)
            throw std::invalid_argument("select() can only watch file descriptors 0.." + std::to_string(FD_SETSIZE - 1) +
                                        " (FD_SETSIZE); fd " + std::to_string(fd) +
                                        " is outside: FD_SET on it would write past the end of the fd_set");
        if (!read && !write) {
            interest_.erase(fd);
        } else {
            interest_[fd] = Interest{read, write};
        }
    }

    /// One select() call (retried on EINTR with the time left).
    std::vector<ReadyFd> select(std::optional<Duration> timeout) override {
        using Steady = std::chrono::steady_clock;
        const auto deadline = timeout ? std::optional(Steady::now() + *timeout) : std::nullopt;
        for (;;) {
            fd_set readers;
            fd_set writers;
            FD_ZERO(&readers);
            FD_ZERO(&writers);
            int highest = -1;
            for (const auto& [fd, want] : interest_) {
                if (want.read) FD_SET(fd, &readers);
                if (want.write) FD_SET(fd, &writers);
                highest = fd;   // the map is sorted, so the last fd is the highest
            }
            timeval tv{};
            timeval* tvp = nullptr;
            if (deadline) {
                const auto left = std::max(Duration{0}, std::chrono::duration_cast<Duration>(*deadline - Steady::now()));
                // Round up to whole microseconds (see the file comment).
                const auto us = std::chrono::ceil<std::chrono::microseconds>(left).count();
                tv.tv_sec = static_cast<time_t>(us / 1000000);
                tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
                tvp = &tv;
            }
            const int rc = ::select(highest + 1, &readers, &writers, nullptr, tvp);
            if (rc < 0 && errno == EINTR) continue;   // a signal is not an error: wait for the rest
            check(rc, "select");
            std::vector<ReadyFd> ready;
            if (rc == 0) return ready;
            for (const auto& [fd, want] : interest_) {
                const bool r = want.read && FD_ISSET(fd, &readers);
                const bool w = want.write && FD_ISSET(fd, &writers);
                if (r || w) ready.push_back(ReadyFd{fd, r, w});
            }
            return ready;
        }
    }

    /// How many descriptors are watched.
    [[nodiscard]] std::size_t size() const override { return interest_.size(); }

private:
    struct Interest {
        bool read;
        bool write;
    };
    std::map<int, Interest> interest_;
};

} // namespace looplab::stage07
