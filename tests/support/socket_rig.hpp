// Small socket fixtures shared by the socket stages' tests: a non-blocking socketpair, a recognisable
// byte pattern, a TCP connection on the loopback made without any loop, a reset, a port nobody
// listens on. Loopback only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/socket.h>
#include <utility>

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

} // namespace looplab::testing
