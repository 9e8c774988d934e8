/// @file
/// @brief sock_recv: try at once; on EAGAIN, a reader callback completes a Future that the coroutine awaits.
///
/// **What this file adds.** Stage 04 looped in a coroutine: try; on EAGAIN `co_await Readable{fd}`.
/// The loop now knows no coroutines, so the waiting moves into a callback, as in asyncio's sock_recv:
/// ```
/// sock_recv(sock, n):
///     try recv() at once          -> bytes, or "" at end of file (C49): return them, no wait
///     EAGAIN: make a Future, add_reader(sock, callback), co_await the Future
///         callback, each time select() says sock is readable: recv() again;
///             EAGAIN -> wait for next time; bytes or "" -> set_result; an error -> set_exception
///     the Future's done-callback (the task's wake-up) resumes the coroutine with the bytes
/// ```
/// The `recv-chain` demo traces that path. The other socket operations are in socket_ops.hpp, new here.
///
/// **What it leaves out.** sock_recv_into, UDP; only debug mode checks that the socket is non-blocking
/// (as asyncio). **What it costs.** No wait: one recv() and a fresh string of min(n, 256 KiB) (a
/// production loop reuses a buffer). A wait: a Future, a reader Handle, one more recv(), one more iteration.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <system_error>

#include "looplab/fd.hpp"
#include "task.hpp"

namespace looplab::inline stage08 {

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
    return n == 0 ? "0 bytes (end of file)" : std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

/// One recv() of at most `n` bytes (at most 256 KiB, as asyncio's transports read): the bytes, ""
/// at end of file, or nullopt with `error` set (EAGAIN, EINTR or a real error).
inline std::optional<std::string> recv_some(int sock, std::size_t n, int& error) {
    std::string buffer(std::min<std::size_t>(n, 256 * 1024), '\0');
    const ssize_t got = ::recv(sock, buffer.data(), buffer.size(), 0);
    if (got < 0) { error = errno; return std::nullopt; }
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

} // namespace detail

/// Receives 1 to `n` bytes (at most 256 KiB) from the non-blocking socket `sock`; "" at end of file. Throws
/// std::system_error naming `recv(fd N)` on a real error, std::invalid_argument for `n` 0 ("" would mean EOF).
inline Coroutine<std::string> sock_recv(int sock, std::size_t n) {
    if (n == 0) throw std::invalid_argument("sock_recv of 0 bytes: an empty answer would look like end of file");
    EventLoop& loop = get_running_loop();
    detail::check_nonblocking(loop, sock, "sock_recv");
    int first_error = EINTR;
    while (first_error == EINTR)   // 1. try at once (again, if a signal interrupted the call)
        if (std::optional<std::string> got = detail::recv_some(sock, n, first_error)) co_return std::move(*got);
    if (!detail::would_block(first_error))
        throw std::system_error(first_error, std::generic_category(), detail::call_on("recv", sock));
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
    // However the frame ends (result, error, cancelled, destroyed), remove the reader; but only while it
    // is still ours: add_reader() by someone else meanwhile cancelled our handle (C52).
    struct RemoveReader {
        EventLoop& loop;
        int fd;
        Handle handle;
        ~RemoveReader() { if (!handle.cancelled()) loop.remove_reader(fd); }
    } registration{loop, sock, std::move(reader)};
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

} // namespace looplab::stage08

