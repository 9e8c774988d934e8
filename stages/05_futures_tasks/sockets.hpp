/// @file
/// @brief sock_recv: a socket call on the callback loop, "try at once; on EAGAIN, a reader callback
/// completes a Future".
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
/// An *empty* string means end of file, not an error (C49); a real error is a std::system_error naming
/// the call and its fd (`recv(fd 7): Connection reset by peer`).
///
/// **Who removes the reader.** asyncio removes it in a second done-callback of the Future; here a
/// small guard object in the coroutine frame removes it when the coroutine goes on after its
/// `co_await`, or when the frame is destroyed (a cancelled task). Either way only if it is still
/// *ours*: if somebody added another reader on the fd meanwhile (which cancels ours, C52), theirs stays.
///
/// The other socket operations (sock_sendall, sock_connect, sock_accept) follow the same pattern and
/// are stage 07's (socket_ops.hpp): this stage needs one I/O operation, to follow it end to end.
///
/// **What it leaves out.** `sock_recv_into`, UDP, the check that no transport owns the fd, and
/// addresses other than IPv4. The socket must be non-blocking; as in asyncio, only debug mode checks.
///
/// **What it costs.** A recv that need not wait: one system call and a string of min(n, 256 KiB) bytes,
/// no Future. One that waits: a Future, a reader Handle and its table entry, one failed recv() (EAGAIN)
/// more, and a loop iteration between the Future's result and the task's wake-up. A production loop
/// reads into one reused buffer instead of a fresh, zero-filled string per call.
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

/// At most this many bytes per recv(), as asyncio's transports read at most 256 KiB at a time.
inline constexpr std::size_t max_recv = 256 * 1024;

/// One recv() of at most `n` bytes: the bytes (or "" at end of file), or nullopt with `error` set
/// (EAGAIN, EINTR or a real error).
inline std::optional<std::string> recv_some(int sock, std::size_t n, int& error) {
    std::string buffer(std::min(n, max_recv), '\0');
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

} // namespace looplab::stage05

