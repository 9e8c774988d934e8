/// @file
/// @brief sock_recv: a socket call on the callback loop, "try at once; on EAGAIN, a reader callback
/// completes a Future".
///
/// **What this file adds.** Stage 04 looped in a coroutine: try; on EAGAIN `co_await Readable{fd}`.
/// The loop now knows no coroutines, so the waiting moves into a callback, as in asyncio's sock_recv:
/// ```
/// sock_recv(sock, n):
///     try recv() at once                       -> bytes (or "" at end of file): return them, no wait
///     EAGAIN: make a Future, add_reader(sock, callback), co_await the Future
///         callback (run by the loop each time select() says sock is readable):
///             recv(); EAGAIN again -> return and wait for the next time
///             bytes or end of file  -> future.set_result(bytes)
///             a real error          -> future.set_exception(error)
///     the Future's done-callback (the task's wake-up) resumes the coroutine with the bytes
/// ```
/// The `recv-chain` demo traces that path. "" is end of file, not an error (C49); a real error is a
/// std::system_error naming call and fd. A guard in the frame removes the reader however the frame
/// ends (asyncio uses a done-callback), unless someone replaced it (C52). Stage 07 adds the others.
///
/// **What it leaves out.** sock_recv_into, UDP, non-IPv4 addresses; only debug mode checks that the
/// socket is non-blocking (as asyncio). **What it costs.** No wait: one recv() and a fresh string of
/// min(n, 256 KiB) (a production loop reuses a buffer). A wait: a Future, a reader Handle, one more
/// recv() and a loop iteration between the result and the wake-up.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <fcntl.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include <sys/socket.h>
#include <sys/types.h>

#include "looplab/fd.hpp"
#include "task.hpp"

namespace looplab::inline stage06 {

namespace detail {

/// "recv(fd 7)": how an error names its call.
inline std::string call_on(const char* call, int fd) { return std::string(call) + "(fd " + std::to_string(fd) + ")"; }
/// True for the errno that means "not yet": EAGAIN, or its other name EWOULDBLOCK.
inline bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK; }
/// A std::system_error for `error`, naming `what`, as an exception_ptr for Future::set_exception.
inline std::exception_ptr os_error(int error, const std::string& what) {
    return std::make_exception_ptr(std::system_error(error, std::generic_category(), what));
}

/// "12 bytes", "1 byte", "0 bytes (end of file)": for the trace notes.
inline std::string bytes_label(std::size_t n) {
    if (n == 0) return "0 bytes (end of file)";
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

/// One recv() of at most `n` bytes (at most 256 KiB, as asyncio's transports read): the bytes, ""
/// at end of file, or nullopt with `error` set (EAGAIN, EINTR or a real error).
inline std::optional<std::string> recv_some(int sock, std::size_t n, int& error) {
    std::string buffer(std::min<std::size_t>(n, 256 * 1024), '\0');
    const ssize_t got = ::recv(sock, buffer.data(), buffer.size(), 0);
    if (got < 0) {
        error = errno;
        return std::nullopt;
    }
    buffer.resize(static_cast<std::size_t>(got));
    return buffer;
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
struct FdRegistration {
    FdRegistration(EventLoop& l, int f, bool r, Handle h) : loop(l), fd(f), reader(r), handle(std::move(h)) {}
    FdRegistration(const FdRegistration&) = delete;
    ~FdRegistration() {
        if (handle.cancelled()) return;   // replaced meanwhile: the fd is someone else's now
        if (reader) loop.remove_reader(fd);
        else loop.remove_writer(fd);
    }
    EventLoop& loop;
    int fd;
    bool reader;   // else a writer
    Handle handle;
};

} // namespace detail

/// Receives 1 to `n` bytes (at most 256 KiB) from the non-blocking socket `sock`: at once if any are
/// there, else after a reader callback got them; "" at end of file. Throws std::system_error naming
/// `recv(fd N)` on a real error, and std::invalid_argument for `n` 0 (its "" would look like end of file).
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
                return state->set_exception(detail::os_error(error, detail::call_on("recv", sock)));
            }
            if (loop.tracing()) {
                loop.tracer()->note("sock_recv callback", "recv() read " + detail::bytes_label(got->size()));
                loop.tracer()->note("sock_recv callback", "set_result(" + detail::bytes_label(got->size()) + ")");
            }
            state->set_result(std::move(*got));   // schedules the done-callbacks: the task's wake-up
        },
        "sock_recv callback");
    detail::FdRegistration registration(loop, sock, true, std::move(reader));
    auto note = [&loop](const std::string& what) {
        if (!loop.tracing()) return;
        const AnyTask me = current_task();   // a note from inside the coroutine goes on its task's row
        loop.tracer()->note(me ? me.name() : "no task", what);
    };
    note("sock_recv: recv() says EAGAIN, so add_reader() and await a Future");
    std::string data = co_await arrived;   // CancelledError here if the task is cancelled meanwhile
    note("sock_recv: resumes with " + detail::bytes_label(data.size()));
    co_return std::move(data);
}   // `registration` removes the reader here, on every path out

} // namespace looplab::stage06

