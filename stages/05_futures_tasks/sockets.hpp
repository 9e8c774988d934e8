/// @file
/// @brief sock_recv, sock_sendall, sock_connect, sock_accept: socket calls on the callback loop, each
/// "try at once; on EAGAIN, a reader (or writer) callback completes a Future".
///
/// **What this file adds.** Stage 04 wrote each socket call as a loop inside a coroutine: try; on
/// EAGAIN `co_await Readable{fd}`; try again. Here the loop knows nothing of coroutines, so the waiting
/// half moves into a *callback*, exactly as asyncio's `loop.sock_recv()` does it:
///
/// ```
/// sock_recv(sock, n):
///     try recv() at once                       -> bytes (or "" at end of file): return them, no wait
///     EAGAIN: make a Future, add_reader(sock, callback), co_await the Future
///         callback (run by the loop each time select() says sock is readable):
///             recv(); EAGAIN again -> return and wait for the next time
///             bytes or end of file  -> future.set_result(bytes)
///             a real error          -> future.set_exception(error)
///     the Future's done-callback (the task's wake-up) resumes the coroutine with the bytes
///     the reader is removed when the coroutine goes on (or is cancelled, or destroyed)
/// ```
///
/// That is the path the `recv-chain` demo follows step by step, with the trace notes this file and
/// future.hpp record: select() wakes, the socket is read, the Future gets its result, its
/// done-callback is scheduled (call_soon), the task wakes, the coroutine resumes with the data.
///
/// The four operations (CONFORMANCE C49-C51):
///  - sock_recv(sock, n): at most `n` bytes; an *empty* string means end of file (not an error).
///    Cancelling the waiting task cancels the Future, and the reader is removed on the way out, so
///    the socket can be read again by someone else.
///  - sock_sendall(sock, bytes): sends what fits at once; after a partial write a writer callback
///    sends the rest from where it stopped, one send() per writable turn, until all is sent.
///  - sock_connect(sock, address): a non-blocking connect() says EINPROGRESS; the socket becomes
///    *writable* when the handshake is over, and getsockopt(SO_ERROR) says how it ended. A failure
///    raises an error naming the address: `connect(127.0.0.1:PORT): Connection refused`.
///  - sock_accept(listener): a new connection, already non-blocking, and the peer's address.
///
/// Every real error is a std::system_error naming the call and its fd (`recv(fd 7): Connection
/// reset by peer`). SIGPIPE is suppressed per send() with MSG_NOSIGNAL.
///
/// **Who removes the reader.** asyncio removes it in a second done-callback of the Future; here a
/// small guard object in the coroutine frame removes it when the coroutine goes on after its
/// `co_await` (in the same iteration the task wakes, as asyncio's done-callback would) or when the
/// frame is destroyed. Either way a reader is removed only if it is still *ours*: if somebody added
/// another reader on the fd meanwhile (which cancels ours, C52), theirs stays.
///
/// **What it leaves out.** asyncio's `sock_recv_into`, `sock_sendfile`, UDP (`sock_recvfrom`), the
/// check that no transport owns the fd, and addresses other than IPv4. The socket must be
/// non-blocking (on a blocking one the "try" would freeze every task); as in asyncio, only debug mode
/// checks it.
///
/// **What it costs.** An operation that need not wait: one system call, no Future, no callback. One
/// that waits: a Future, a loop registration (a Handle and two map entries), one failed system call
/// (EAGAIN) more, and a loop iteration between the Future's completion and the task's wake-up.
/// Every recv() reads into one scratch buffer per thread and copies out what it got, so a waiting
/// sock_recv holds no buffer at all.
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
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
#include "task.hpp"

namespace looplab::inline stage05 {

/// What sock_accept() returns: the new connection (non-blocking, close-on-exec) and who it is.
struct Accepted {
    UniqueFd conn;         ///< the connection's socket
    sockaddr_in address;   ///< the peer's address
};

namespace detail {

/// "recv(fd 7)": how an error names its call.
inline std::string call_on(const char* call, int fd) { return std::string(call) + "(fd " + std::to_string(fd) + ")"; }

/// True for the errno that means "not yet": EAGAIN, or its other name EWOULDBLOCK.
inline bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }

/// A std::system_error for `error`, naming `what`, as an exception_ptr for Future::set_exception.
inline std::exception_ptr os_error(int error, const std::string& what) {
    return std::make_exception_ptr(std::system_error(error, std::generic_category(), what));
}

/// Records a trace note when the loop's tracer is on.
inline void note(EventLoop& loop, const std::string& who, const std::string& what) {
    if (loop.tracing()) loop.tracer()->note(who, what);
}

/// Who a note from inside a coroutine is by: the running task (so it lands on the task's row).
inline std::string running_task_name() {
    const AnyTask t = current_task();
    return t ? t.name() : std::string("no task");
}

/// "12 bytes", "1 byte", "0 bytes (end of file)".
inline std::string bytes_label(std::size_t n) {
    if (n == 0) return "0 bytes (end of file)";
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

/// The buffer every recv() on this thread reads into before the bytes it got are copied out. One
/// per thread is enough, because callbacks and steps never run at the same time; and it spares each
/// call the zero-filling of a fresh `n`-byte std::string (64 KiB of writes for a 1 KiB message).
inline std::span<char> recv_scratch() {
    static thread_local std::array<char, 256 * 1024> scratch;
    return scratch;
}

/// One recv() of at most `n` bytes, through the scratch buffer: the bytes (or "" at end of file), or
/// nullopt with `error` set (EAGAIN, EINTR or a real error).
inline std::optional<std::string> recv_some(int sock, std::size_t n, int& error) {
    const std::span<char> scratch = recv_scratch();
    const ssize_t got = ::recv(sock, scratch.data(), std::min(n, scratch.size()), 0);
    if (got < 0) {
        error = errno;
        return std::nullopt;
    }
    return std::string(scratch.data(), static_cast<std::size_t>(got));
}

/// Debug mode only, as in asyncio: refuse a blocking socket, whose "try" would freeze the loop.
inline void check_nonblocking(EventLoop& loop, int sock, const char* op) {
    if (!loop.get_debug()) return;
    const int flags = check(::fcntl(sock, F_GETFL), "fcntl(F_GETFL)");
    if ((flags & O_NONBLOCK) == 0)
        throw std::invalid_argument(std::string(op) + ": the socket (fd " + std::to_string(sock) + ") must be non-blocking");
}

/// Removes the reader (or writer) a socket operation registered, when the operation's coroutine goes
/// on or is destroyed; but only while it is still ours (a replaced registration is cancelled, C52).
class FdRegistration {
public:
    /// Watches the registration `handle` of `fd` (a reader when `reader`, else a writer).
    FdRegistration(EventLoop& loop, int fd, bool reader, Handle handle)
        : loop_(loop), fd_(fd), reader_(reader), handle_(std::move(handle)) {}
    FdRegistration(const FdRegistration&) = delete;
    FdRegistration& operator=(const FdRegistration&) = delete;
    /// Unregisters, unless someone replaced us meanwhile.
    ~FdRegistration() {
        if (handle_.cancelled()) return;
        if (reader_) {
            loop_.remove_reader(fd_);
        } else {
            loop_.remove_writer(fd_);
        }
    }

private:
    EventLoop& loop_;
    int fd_;
    bool reader_;
    Handle handle_;
};

} // namespace detail

/// Receives at most `n` bytes from the non-blocking socket `sock`: at once if any are there, else
/// after a reader callback got them (see the file comment). Returns 1 to `n` bytes (at most 256 KiB
/// per call, as asyncio's transports read at most 256 KiB at a time), or an empty string at end of
/// file. Throws std::system_error naming `recv(fd N)` on a real error, and
/// std::invalid_argument for `n` 0 (whose empty answer would look like end of file).
inline Coroutine<std::string> sock_recv(int sock, std::size_t n) {
    if (n == 0) throw std::invalid_argument("sock_recv of 0 bytes: an empty answer would look like end of file");
    EventLoop& loop = get_running_loop();
    detail::check_nonblocking(loop, sock, "sock_recv");
    while (true) {   // 1. try at once
        int error = 0;
        if (std::optional<std::string> got = detail::recv_some(sock, n, error)) co_return std::move(*got);
        if (error == EINTR) continue;
        if (!detail::would_block(error)) throw std::system_error(error, std::generic_category(), detail::call_on("recv", sock));
        break;
    }
    // 2. Not yet: the reader callback will complete this Future when select() says `sock` is readable.
    Future<std::string> arrived(loop, "sock_recv");
    Handle reader = loop.add_reader(
        sock,
        [state = arrived.state(), sock, n, &loop] {
            if (state->done()) return;   // completed (or cancelled): our coroutine will remove us
            int error = 0;
            std::optional<std::string> got = detail::recv_some(sock, n, error);
            if (!got) {
                if (error == EINTR || detail::would_block(error)) return;   // not yet after all: next time
                state->set_exception(detail::os_error(error, detail::call_on("recv", sock)));
                return;
            }
            std::string data = std::move(*got);
            detail::note(loop, "sock_recv callback", "recv() read " + detail::bytes_label(data.size()));
            detail::note(loop, "sock_recv callback", "set_result(" + detail::bytes_label(data.size()) + ")");
            state->set_result(std::move(data));   // schedules the done-callbacks: the task's wake-up
        },
        "sock_recv callback");
    detail::FdRegistration registration(loop, sock, true, std::move(reader));
    if (loop.tracing()) detail::note(loop, detail::running_task_name(), "sock_recv: recv() says EAGAIN, so add_reader() and await a Future");
    std::string data = co_await arrived;   // CancelledError here if the task is cancelled meanwhile
    if (loop.tracing()) detail::note(loop, detail::running_task_name(), "sock_recv: resumes with " + detail::bytes_label(data.size()));
    co_return std::move(data);
}   // `registration` removes the reader here, on every path out

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
    detail::FdRegistration registration(loop, sock, false, std::move(writer));
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
    detail::FdRegistration registration(loop, sock, false, std::move(writer));
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
    detail::FdRegistration registration(loop, listener, true, std::move(reader));
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

} // namespace looplab::stage05
