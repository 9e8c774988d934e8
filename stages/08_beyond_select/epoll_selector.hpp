/// @file
/// @brief EpollSelector: the same Selector interface on Linux's epoll, and the choice between the two.
///
/// **What this file adds.** select() is told the whole list of fds on every call, and walks it, in
/// the kernel and here: O(highest fd) per iteration even when one fd is busy. epoll keeps the list
/// *in the kernel*: epoll_ctl() adds, modifies or removes one fd when the loop's interest changes,
/// and epoll_wait() returns only the ready ones: O(ready) per iteration. It is level-triggered here,
/// as asyncio's default selector on Linux is: a readable fd is reported again in every iteration until
/// it has been read, exactly what select() did, so the loop above needs no change. It has no FD_SETSIZE
/// limit; RLIMIT_NOFILE is the only ceiling.
///
/// **The new way to fail.** The kernel's list holds the *open file*, not the number: close an fd while
/// it is registered and the kernel drops it silently, so its callback simply never runs again. We
/// find out at the next epoll_ctl() on that number (EBADF, or ENOENT if the number was reused), and
/// say so, naming the call; our own table forgets the fd first, so nothing is left behind.
///
/// **What it leaves out.** Edge-triggered mode (EPOLLET: one report per change, the program must read
/// until EAGAIN), EPOLLONESHOT, EPOLLEXCLUSIVE; and asyncio's other backends (kqueue, poll, devpoll).
/// **What it costs.** One epoll_ctl() system call per interest change, where select() paid nothing
/// until the next call; a kernel object (one fd) per selector; sorting the ready fds, O(k log k) for k
/// ready, so that both selectors report in the same order and the transcripts do not depend on which.
#pragma once

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string_view>
#include <system_error>

#include "selector.hpp"

namespace looplab::inline stage08 {

/// The epoll backend: the kernel keeps the interest list. See the file comment.
class EpollSelector final : public Selector {
public:
    /// Makes the kernel's interest list (epoll_create1); a failure names the call.
    EpollSelector() : epoll_(check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")) {}

    /// Adds, modifies or removes `fd` in the kernel's list (one epoll_ctl()).
    void set_interest(int fd, bool read, bool write) override {
        if (fd < 0) throw std::invalid_argument("epoll: fd " + std::to_string(fd) + " is not a file descriptor");
        auto it = interest_.find(fd);
        if (!read && !write) {
            if (it == interest_.end()) return;
            interest_.erase(it);   // first: whatever the kernel says, we forget the fd
            control(EPOLL_CTL_DEL, fd, 0);
            return;
        }
        const std::uint32_t events = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
        if (it == interest_.end()) {
            control(EPOLL_CTL_ADD, fd, events);   // may refuse (a closed fd; a regular file: EPERM)
            interest_[fd] = Interest{read, write};
            return;
        }
        it->second = Interest{read, write};
        try { control(EPOLL_CTL_MOD, fd, events); }
        catch (...) { interest_.erase(fd); throw; }   // the kernel had already dropped it
    }

    /// One epoll_wait(), retried on EINTR with the time left; the ready fds in fd order.
    std::vector<ReadyFd> select(std::optional<Duration> timeout) override {
        using Steady = std::chrono::steady_clock;
        const auto deadline = timeout ? std::optional(Steady::now() + *timeout) : std::nullopt;
        // Room for every watched fd to be ready at once; grown, never shrunk, so not allocated per call.
        if (events_.size() < std::max<std::size_t>(interest_.size(), 1)) events_.resize(std::max<std::size_t>(interest_.size(), 1));
        for (;;) {
            int ms = -1;   // no timeout
            if (deadline) {
                const auto left = std::max(Duration{0}, std::chrono::duration_cast<Duration>(*deadline - Steady::now()));
                // Whole milliseconds, rounded *up*: 0.4 ms rounded down to 0 would spin until the timer.
                ms = static_cast<int>(std::min<long long>(std::chrono::ceil<std::chrono::milliseconds>(left).count(), 1 << 30));
            }
            const int n = ::epoll_wait(epoll_.get(), events_.data(), static_cast<int>(events_.size()), ms);
            if (n < 0 && errno == EINTR) continue;   // a signal is not an error (PEP 475)
            check(n, "epoll_wait");
            std::vector<ReadyFd> ready;
            for (int i = 0; i < n; ++i) {
                const int fd = events_[static_cast<std::size_t>(i)].data.fd;
                const std::uint32_t got = events_[static_cast<std::size_t>(i)].events;
                auto it = interest_.find(fd);
                if (it == interest_.end()) continue;   // removed, but a dup of it keeps the kernel's entry alive
                const Interest want = it->second;
                // An error or a hang-up wakes whichever side is waiting, as select() reports them (and
                // as Python's selectors module maps them): the callback's recv()/send() then says what.
                const bool r = want.read && (got & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0;
                const bool w = want.write && (got & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0;
                if (r || w) ready.push_back(ReadyFd{fd, r, w});
            }
            std::sort(ready.begin(), ready.end(), [](const ReadyFd& a, const ReadyFd& b) { return a.fd < b.fd; });
            return ready;
        }
    }

    [[nodiscard]] std::size_t size() const override { return interest_.size(); }   ///< How many descriptors are watched.

private:
    struct Interest { bool read, write; };
    void control(int op, int fd, std::uint32_t events) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), op, fd, &ev) == 0) return;
        const int err = errno;
        const char* name = op == EPOLL_CTL_ADD ? "EPOLL_CTL_ADD" : op == EPOLL_CTL_MOD ? "EPOLL_CTL_MOD" : "EPOLL_CTL_DEL";
        std::string what = std::string("epoll_ctl(") + name + ", fd " + std::to_string(fd) + ")";
        if (op != EPOLL_CTL_ADD && (err == EBADF || err == ENOENT))
            what += " (was the fd closed while still registered? call remove_reader/remove_writer before close)";
        if (err == EPERM) what += " (epoll cannot watch a regular file: it is always ready)";
        throw std::system_error(err, std::generic_category(), what);
    }
    UniqueFd epoll_;   // the kernel's interest list lives behind this fd
    std::map<int, Interest> interest_;   // our copy: what we asked for, to map events back and to count
    std::vector<epoll_event> events_;    // what epoll_wait() fills in
};

/// Which readiness backend a loop uses: `--selector select|epoll`.
enum class SelectorKind { select, epoll };

/// The backend loops get when nobody names one: epoll, as asyncio's DefaultSelector is on Linux.
/// main() sets it from `--selector`; the tests set it to run the conformance tests on both.
inline SelectorKind default_selector_kind = SelectorKind::epoll;

/// Makes a selector of the given kind (the default: default_selector_kind).
inline std::unique_ptr<Selector> make_selector(SelectorKind kind = default_selector_kind) {
    if (kind == SelectorKind::select) return std::make_unique<SelectSelector>();
    return std::make_unique<EpollSelector>();
}

/// "select" or "epoll".
inline std::string_view selector_name(SelectorKind kind) { return kind == SelectorKind::select ? "select" : "epoll"; }

} // namespace looplab::stage08
