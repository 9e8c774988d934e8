/// @file
/// @brief sock_sendall, sock_connect, sock_accept: the other socket calls on the callback loop, each
/// "try at once; on EAGAIN, a writer (or reader) callback completes a Future", as sock_recv does
/// (sockets.hpp).
///
/// **What this file adds** (CONFORMANCE C50, C51):
///  - sock_sendall(sock, bytes): sends what fits at once; after a partial write a writer callback
///    sends the rest from where it stopped, one send() per writable turn, until all is sent.
///  - sock_connect(sock, address): a non-blocking connect() says EINPROGRESS; the socket becomes
///    *writable* when the handshake is over, and getsockopt(SO_ERROR) says how it ended. A failure
///    raises an error naming the address: `connect(127.0.0.1:PORT): Connection refused`.
///  - sock_accept(listener): a new connection, already non-blocking, and the peer's address.
/// SIGPIPE is suppressed per send() with MSG_NOSIGNAL. Transports, servers and streams are built on them.
///
/// **What it leaves out.** `sock_sendfile` and `sock_recvfrom`. **What it costs.** As sock_recv: one
/// system call when nothing waits; else a Future, a loop registration and a wake-up.
#pragma once

#include <array>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "coroutine.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "handle.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "sockets.hpp"
#include "task.hpp"

namespace looplab::inline stage08 {

namespace detail {
/// The buffer streams.hpp's transport reads into before the bytes it got are appended to its
/// buffer: one per thread is enough (callbacks never run at the same time), and it spares each read
/// the zero-filling of a fresh chunk. A speed move of the streams' (stage 09 measures it).
inline std::span<char> recv_scratch() {
    static thread_local std::array<char, 256 * 1024> scratch;
    return scratch;
}

/// Removes the reader or writer a socket operation registered, however the operation's frame ends;
/// but only while it is still ours (a replaced registration is cancelled, C52). sock_recv's guard,
/// for writers too.
struct FdRegistration {
    EventLoop& loop;
    int fd;
    bool reader;   // else a writer
    Handle handle;
    ~FdRegistration() {
        if (handle.cancelled()) return;   // replaced meanwhile: the fd is someone else's now
        if (reader) loop.remove_reader(fd);
        else loop.remove_writer(fd);
    }
};
} // namespace detail

/// What sock_accept() returns: the new connection (non-blocking, close-on-exec) and who it is.
struct Accepted {
    UniqueFd conn;         ///< the connection's socket
    sockaddr_in address;   ///< the peer's address
};

/// Sends every byte of `data` on the non-blocking socket `sock`: what fits at once, then, after a
/// partial write, the rest from a writer callback, one send() per writable turn (see the file
/// comment). Throws std::system_error naming `send(fd N)` on a real error (EPIPE, ECONNRESET); how
/// much was sent by then is unknown to the caller, as in asyncio.
inline Coroutine<void> sock_sendall(int sock, std::string data) {
    EventLoop& loop = get_running_loop();
    detail::check_nonblocking(loop, sock, "sock_sendall");
    std::size_t sent = 0;
    while (sent < data.size()) {   // 1. at once, as much as fits
        // MSG_NOSIGNAL: a peer that has gone away gives us EPIPE, not a SIGPIPE that kills us.
        const ssize_t n = ::send(sock, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        const int error = errno;
        if (error == EINTR) continue;
        if (!detail::would_block(error)) throw std::system_error(error, std::generic_category(), detail::call_on("send", sock));
        break;   // the send buffer is full
    }
    if (sent == data.size()) co_return;
    // 2. The rest waits for room: the writer callback continues from `sent`.
    struct Progress {
        std::string data;
        std::size_t sent;
    };
    auto progress = std::make_shared<Progress>(Progress{std::move(data), sent});
    Future<void> all_sent(loop, "sock_sendall");
    Handle writer = loop.add_writer(
        sock,
        [state = all_sent.state(), progress, sock] {
            if (state->done()) return;
            const std::string& bytes = progress->data;
            const ssize_t n = ::send(sock, bytes.data() + progress->sent, bytes.size() - progress->sent, MSG_NOSIGNAL);
            if (n < 0) {
                const int error = errno;
                if (error == EINTR || detail::would_block(error)) return;
                state->set_exception(detail::os_error(error, detail::call_on("send", sock)));
                return;
            }
            progress->sent += static_cast<std::size_t>(n);
            if (progress->sent == bytes.size()) state->set_result(std::monostate{});
        },
        "sock_sendall callback");
    detail::FdRegistration registration{loop, sock, false, std::move(writer)};
    co_await all_sent;
}

/// Connects the non-blocking socket `sock` to `address`: starts the handshake, and when it is in
/// progress awaits a Future that a writer callback completes once the socket is writable and
/// SO_ERROR says how it ended. Throws std::system_error naming `connect(127.0.0.1:PORT)` if it
/// failed (ECONNREFUSED: nobody listens there).
inline Coroutine<void> sock_connect(int sock, sockaddr_in address) {
    EventLoop& loop = get_running_loop();
    detail::check_nonblocking(loop, sock, "sock_connect");
    const std::string what = "connect(" + looplab::to_string(address) + ")";
    if (::connect(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) co_return;
    const int error = errno;
    // EINPROGRESS: the handshake has started and will finish without us. (EINTR means the same for
    // connect(): calling it again would say EALREADY.) Anything else is final.
    if (error != EINPROGRESS && error != EINTR) throw std::system_error(error, std::generic_category(), what);
    Future<void> connected(loop, "sock_connect");
    Handle writer = loop.add_writer(
        sock,
        [state = connected.state(), sock, what] {
            if (state->done()) return;
            int result = 0;
            socklen_t length = sizeof result;
            if (::getsockopt(sock, SOL_SOCKET, SO_ERROR, &result, &length) < 0) {
                state->set_exception(detail::os_error(errno, "getsockopt(SO_ERROR)"));
            } else if (result == 0) {
                state->set_result(std::monostate{});
            } else if (result != EINPROGRESS && !detail::would_block(result)) {
                state->set_exception(detail::os_error(result, what));
            }   // still in progress: wait for the next writable turn
        },
        "sock_connect callback");
    detail::FdRegistration registration{loop, sock, false, std::move(writer)};
    co_await connected;
}

/// Accepts one connection on the non-blocking listening socket `listener`: at once if one is waiting
/// in the backlog, else after a reader callback accepted it. The new socket is non-blocking and
/// close-on-exec. Throws std::system_error naming `accept(fd N)` on a real error (EMFILE, ENFILE:
/// no descriptor left, which a server must handle; streams.hpp's start_server shows how).
inline Coroutine<Accepted> sock_accept(int listener) {
    EventLoop& loop = get_running_loop();
    detail::check_nonblocking(loop, listener, "sock_accept");
    // One try. ECONNABORTED (a client gave up while it waited in the backlog) and EINTR: try again.
    auto try_accept = [listener](Accepted& out) -> int {
        while (true) {
            sockaddr_in peer{};
            socklen_t length = sizeof peer;
            // accept4 sets O_NONBLOCK on the new socket in the same call: no window where it blocks.
            const int fd = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                out = Accepted{UniqueFd(fd), peer};
                return 0;
            }
            const int error = errno;
            if (error != EINTR && error != ECONNABORTED) return error;
        }
    };
    Accepted accepted{};
    int error = try_accept(accepted);
    if (error == 0) co_return std::move(accepted);
    if (!detail::would_block(error)) throw std::system_error(error, std::generic_category(), detail::call_on("accept", listener));
    // A Future's result must be copyable (future.hpp); a shared_ptr carries the move-only socket, and
    // closes it if nobody ever takes it (a task cancelled just after the accept).
    Future<std::shared_ptr<Accepted>> ready(loop, "sock_accept");
    Handle reader = loop.add_reader(
        listener,
        [state = ready.state(), listener, try_accept] {
            if (state->done()) return;
            auto out = std::make_shared<Accepted>();
            const int e = try_accept(*out);
            if (e == 0) {
                state->set_result(std::move(out));
            } else if (!detail::would_block(e)) {
                state->set_exception(detail::os_error(e, detail::call_on("accept", listener)));
            }
        },
        "sock_accept callback");
    detail::FdRegistration registration{loop, listener, true, std::move(reader)};
    std::shared_ptr<Accepted> got = co_await ready;
    co_return std::move(*got);
}

/// A new non-blocking TCP socket connected to `address` (tcp_socket(), set_nonblocking(),
/// sock_connect()).
inline Coroutine<UniqueFd> connect_tcp(sockaddr_in address) {
    UniqueFd sock = tcp_socket();
    set_nonblocking(sock.get());
    co_await sock_connect(sock.get(), address);
    co_return std::move(sock);
}

} // namespace looplab::stage08
