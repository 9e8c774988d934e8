/// @file
/// @brief recv, send_all, accept, connect: socket calls as coroutines, each "try; on EAGAIN await readiness".
///
/// **What this file adds.** A socket in non-blocking mode (O_NONBLOCK) never makes its caller wait:
/// a call that would have to wait fails at once with EAGAIN (also spelled EWOULDBLOCK), meaning
/// "not yet, try again later". That turns every socket call into the same small loop:
///
/// ```
/// while (true) {
///     try the call;
///     if it worked (or failed for real): return (or throw);
///     on EAGAIN: co_await Readable{fd} (or Writable{fd}), then go round again;
/// }
/// ```
///
/// Each function below is that loop around one call, written out, because the loop is the lesson:
///  - recv(sock, max): one recv(); the bytes, at most `max`; an *empty* string means end of file
///    (the peer closed its side), which is not an error.
///  - send_all(sock, bytes): send() sends what fits in the socket's buffer and says how much; the
///    rest waits for Writable. Partial writes are normal, not an error.
///  - accept(listener): a new connection, already non-blocking; EAGAIN means nobody is waiting in the
///    backlog yet.
///  - connect(sock, address): the one call that cannot simply be retried. A non-blocking connect()
///    starts the handshake and says EINPROGRESS; the socket becomes *writable* when the handshake is
///    over, well or badly, and getsockopt(SO_ERROR) says which. A refused connection raises an error
///    that names the address.
///
/// Errors that are real (ECONNRESET: the peer reset the connection; EPIPE: it is gone and we wrote)
/// raise std::system_error naming the call and the fd. SIGPIPE, which the kernel would otherwise send
/// to a process that writes to a dead socket (and which kills it), is suppressed per call with
/// MSG_NOSIGNAL, and for the whole process by ignore_sigpipe() (common/net.hpp), as the CPython
/// interpreter does at start-up for every Python program, asyncio or not.
///
/// **What it leaves out.** Timeouts (a recv() that waits forever for a silent peer: stage 06's
/// wait_for), buffering and readline() (stage 07's streams), and the demo's own narration of each
/// EAGAIN (demos/ugly.cpp spells the loops out with print statements). The fd must be non-blocking:
/// on a blocking socket the "try" would wait, and freeze every other task.
///
/// **What it costs.** One system call per try, and one more that fails with EAGAIN each time the
/// data (or the room) runs out; a loop turn per wait; one coroutine frame per call (counted); recv()
/// allocates its `max` bytes up front, so `max` is the memory a reader holds while it waits.
#pragma once

#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "coroutine.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"

namespace looplab::inline stage04 {

namespace detail {
/// "recv(fd 7)": how an error names its call.
inline std::string call_on(const char* call, int fd) { return std::string(call) + "(fd " + std::to_string(fd) + ")"; }

/// True for the errno that means "not yet": EAGAIN, or its other name EWOULDBLOCK (the same number on
/// Linux, not everywhere).
inline bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }
} // namespace detail

/// Receives at most `max` bytes from the non-blocking socket `sock`, awaiting Readable while there
/// are none. Returns what one recv() got: 1 to `max` bytes, or an empty string at end of file.
/// Throws std::system_error naming `recv(fd N)` on a real error (ECONNRESET...), and
/// std::invalid_argument for `max` 0 (whose empty answer would look like end of file).
inline Coroutine<std::string> recv(int sock, std::size_t max) {
    if (max == 0) throw std::invalid_argument("recv of 0 bytes: an empty answer would look like end of file");
    std::string buffer(max, '\0');
    while (true) {
        const ssize_t got = ::recv(sock, buffer.data(), max, 0);
        if (got >= 0) {   // bytes, or 0: end of file
            buffer.resize(static_cast<std::size_t>(got));
            co_return std::move(buffer);
        }
        const int error = errno;   // saved first: building the message below may change errno
        if (error == EINTR) continue;   // a signal interrupted the call: just try again
        if (!detail::would_block(error))
            throw std::system_error(error, std::generic_category(), detail::call_on("recv", sock));
        co_await Readable{sock};   // nothing there yet: wait until there is, then try again
    }
}

/// Sends every byte of `bytes` on the non-blocking socket `sock`: as much as fits now, then awaits
/// Writable for the rest, as often as it takes. Throws std::system_error naming `send(fd N)` on a
/// real error (EPIPE, ECONNRESET); how much was sent by then is unknown to the caller, as in asyncio.
inline Coroutine<> send_all(int sock, std::string bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        // MSG_NOSIGNAL: a peer that has gone away gives us EPIPE, not a SIGPIPE that kills us.
        const ssize_t n = ::send(sock, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {   // a partial write is normal: the buffer had room for n bytes
            sent += static_cast<std::size_t>(n);
            continue;
        }
        const int error = errno;
        if (error == EINTR) continue;
        if (!detail::would_block(error))
            throw std::system_error(error, std::generic_category(), detail::call_on("send", sock));
        co_await Writable{sock};   // the send buffer is full: wait for room
    }
}

/// Accepts one connection on the non-blocking listening socket `listener`, awaiting Readable while
/// nobody is waiting. The new socket is non-blocking and close-on-exec. Throws std::system_error
/// naming `accept(fd N)` on a real error: EMFILE or ENFILE (out of file descriptors) is one, which a
/// server must handle (echo_server.hpp shows how).
inline Coroutine<UniqueFd> accept(int listener) {
    while (true) {
        // accept4 sets O_NONBLOCK on the new socket in the same call: no window where it blocks.
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) co_return UniqueFd(fd);
        const int error = errno;
        // EINTR: a signal. ECONNABORTED: a client gave up while it waited in the backlog, which is
        // its business, not ours: take the next one.
        if (error == EINTR || error == ECONNABORTED) continue;
        if (!detail::would_block(error))
            throw std::system_error(error, std::generic_category(), detail::call_on("accept", listener));
        co_await Readable{listener};   // nobody in the backlog yet
    }
}

/// Connects the non-blocking socket `sock` to `address`: starts the handshake, awaits Writable
/// while it runs, then asks the socket how it ended. Throws std::system_error naming
/// `connect(127.0.0.1:PORT)` if it failed (ECONNREFUSED: nobody listens there).
inline Coroutine<> connect(int sock, sockaddr_in address) {
    int error = 0;
    if (::connect(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) co_return;
    error = errno;
    // EINPROGRESS: the handshake has started and will finish without us. (EINTR means the same
    // thing for connect(): calling it again would say EALREADY, so we wait exactly as for
    // EINPROGRESS.) Any other error is final.
    if (error == EINPROGRESS || error == EINTR) {
        co_await Writable{sock};   // writable = the handshake is over, one way or the other
        socklen_t length = sizeof error;
        check(::getsockopt(sock, SOL_SOCKET, SO_ERROR, &error, &length), "getsockopt(SO_ERROR)");
        if (error == 0) co_return;   // connected
    }
    throw std::system_error(error, std::generic_category(), "connect(" + looplab::to_string(address) + ")");
}

/// A new non-blocking TCP socket, connected to `address`: tcp_socket() + set_nonblocking() +
/// connect(), asyncio's `open_connection` without the streams.
inline Coroutine<UniqueFd> open_connection(sockaddr_in address) {
    UniqueFd sock = tcp_socket();
    set_nonblocking(sock.get());
    co_await connect(sock.get(), address);
    co_return std::move(sock);
}

} // namespace looplab::stage04
