// Small socket fixtures shared by the socket stages' tests: a non-blocking socketpair, a recognisable
// byte pattern, a TCP connection on the loopback made without any loop, a reset, a port nobody
// listens on. Loopback only.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <system_error>
#include <utility>
#include <vector>

#include "looplab/fd.hpp"
#include "looplab/net.hpp"

namespace looplab::testing {

/// `size` bytes that are not all alike, so a swapped or dropped chunk shows.
inline std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

/// Two connected UNIX stream sockets, both non-blocking.
inline std::pair<UniqueFd, UniqueFd> nonblocking_pair() {
    auto pair = make_socketpair();
    set_nonblocking(pair.first.get());
    set_nonblocking(pair.second.get());
    return pair;
}

/// Makes both buffers between `sender` and `receiver` tiny, so a large send is cut into partial writes.
inline void tiny_buffers(int sender, int receiver, int bytes = 4096) {
    check(::setsockopt(sender, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes), "setsockopt(SO_SNDBUF)");
    check(::setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes), "setsockopt(SO_RCVBUF)");
}

/// A TCP connection on the loopback, made with blocking calls (no loop): {client, server side}.
inline std::pair<UniqueFd, UniqueFd> tcp_pair() {
    UniqueFd listener = listen_loopback(0);
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    UniqueFd client = tcp_socket();
    check(::connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect");
    UniqueFd server(check(::accept(listener.get(), nullptr, nullptr), "accept"));
    return {std::move(client), std::move(server)};
}

/// Closes `sock` with SO_LINGER 0, which sends a reset (RST) instead of the orderly FIN.
inline void reset_connection(UniqueFd& sock) {
    const linger hard{1, 0};
    check(::setsockopt(sock.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), "setsockopt(SO_LINGER)");
    sock.reset();
}

/// A loopback port that nobody listens on (it was free a moment ago): connecting is refused.
inline std::uint16_t unused_port() {
    UniqueFd probe = listen_loopback(0);
    return local_port(probe.get());
}

/// UndefinedBehaviorSanitizer checks the dynamic type of an object on a member call (such as a
/// server's `e.code()` in its catch handler), and on a cache miss it asks whether the vtable is
/// readable by writing it into a pipe: with no fd left, that fails and it reports a false "invalid
/// vptr". One checked call on a std::system_error while fds are free fills its cache. Harmless, and
/// a no-op, in the other builds.
inline void warm_sanitizer_type_cache() {
    try {
        throw std::system_error(EMFILE, std::generic_category(), "warm-up");
    } catch (const std::system_error& e) {
        REQUIRE(e.code().value() == EMFILE);
    }
}

/// Opens /dev/null into `filler` until the fd table is full (EMFILE), or, with `to_fd_setsize`,
/// until every fd below FD_SETSIZE is taken (so the next one is one select() cannot watch).
inline void fill_fd_table(std::vector<UniqueFd>* filler, bool to_fd_setsize) {
    warm_sanitizer_type_cache();
    while (true) {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            REQUIRE(errno == EMFILE);
            return;
        }
        filler->emplace_back(fd);
        if (to_fd_setsize && fd >= FD_SETSIZE - 1) return;
    }
}

/// Sets the soft limit of open fds for the life of this object: `low` caps it (an EMFILE test
/// fills 256 fds, not thousands), `at_least` raises it (up to the hard limit) so that fds above
/// FD_SETSIZE exist at all. The old limit comes back when it goes.
class ScopedFdLimit {
public:
    /// Caps the soft limit at `low` (0: leave it) and raises it to `at_least` (0: leave it).
    ScopedFdLimit(rlim_t low, rlim_t at_least) {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &old_) == 0);
        rlimit now = old_;
        if (low > 0) now.rlim_cur = std::min<rlim_t>(now.rlim_cur, low);
        if (at_least > 0 && now.rlim_cur < at_least) now.rlim_cur = std::min<rlim_t>(old_.rlim_max, at_least);
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &now) == 0);
    }
    ScopedFdLimit(const ScopedFdLimit&) = delete;
    ScopedFdLimit& operator=(const ScopedFdLimit&) = delete;
    /// Restores the limit.
    ~ScopedFdLimit() { ::setrlimit(RLIMIT_NOFILE, &old_); }

private:
    rlimit old_{};
};

} // namespace looplab::testing
