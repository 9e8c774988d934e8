/// @file
/// @brief An echo server on one thread: a task per connection, bounded memory, refusal instead of collapse.
///
/// **What this file adds.** The socket coroutines of sockets.hpp put together into a server that a
/// test can hammer: an accept loop that spawns one task per connection, and a connection task that
/// echoes what it receives until the client closes. Hundreds of clients share one thread, because
/// each one that has nothing to do is a suspended frame and an entry in the loop's fd table, not a
/// blocked thread.
///
/// Four things a real server must get right, and where they are:
///  - **One bad client disturbs nobody.** A client that resets the connection, vanishes, or sends
///    garbage makes *its own* recv() or send() throw; echo_connection() catches that, logs it, and
///    closes that socket. The error never reaches the loop, which would stop everything.
///  - **Memory per connection is bounded.** A connection task does not recv() again until it has
///    sent everything it received: at most `chunk` bytes wait in the server per connection. A client
///    that sends but never reads fills its socket buffers, and then the server stops reading from it
///    (its task awaits Writable); the kernel's buffers fill, and TCP's flow control makes the
///    *client's* send() wait. That is backpressure: the slow party slows down the fast one, instead
///    of the server buffering without limit. asyncio does the same with its write-buffer high-water
///    mark and pause_reading().
///  - **Fairness.** The try-first coroutines of sockets.hpp suspend only on EAGAIN, so a task
///    that reads from a client who never pauses would never give the thread back. A connection task
///    therefore awaits Readable *before* each recv(): one chunk per connection per turn, whatever the
///    clients do. (asyncio gets the same effect by running one callback per ready fd per turn.)
///  - **Running out of descriptors is not a crash.** When accept() fails with EMFILE or ENFILE (no
///    descriptor left), the connection stays in the kernel's backlog and the listener stays readable,
///    so a naive loop would spin on the failing accept() forever. The accept loop refuses that
///    client instead, with the classic trick: it keeps one *spare* descriptor open, closes it to make
///    room, accepts, closes the new connection at once (the client sees it closed), and opens the
///    spare again. A new connection whose fd is at or above FD_SETSIZE, which select() cannot watch,
///    is refused the same way. Each refusal is a log line; the connections already open carry on.
///
/// **What it leaves out.** Timeouts (an idle client holds its socket until it closes: stage 06's
/// wait_for), a connection limit of its own below the fd limit, graceful draining at shutdown (the
/// server's owner stops the loop, and destroying the loop's tasks closes every socket).
///
/// **What it costs.** Per connection: one task slot, one coroutine frame (plus one for each pending
/// recv() or send_all()), a socket, and at most `chunk` bytes of echo data. Per byte: a copy from the
/// kernel into the task's buffer and one back.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <functional>
#include <string>
#include <system_error>
#include <utility>

#include <sys/select.h>
#include <sys/socket.h>

#include "coroutine.hpp"
#include "loop.hpp"
#include "looplab/fd.hpp"
#include "sockets.hpp"

namespace looplab::inline stage04 {

/// What an echo server counted.
struct EchoStats {
    std::uint64_t accepted = 0;  ///< connections accepted and served
    std::uint64_t refused = 0;   ///< connections refused (no fd left, or fd >= FD_SETSIZE)
    std::uint64_t finished = 0;  ///< connections the client closed cleanly (end of file)
    std::uint64_t failed = 0;    ///< connections that ended in an error (reset, broken pipe)
    std::uint64_t bytes = 0;     ///< bytes echoed
    std::size_t open = 0;        ///< connections open right now
    std::size_t peak = 0;        ///< the most connections open at once
};

/// The state an echo server's tasks share: which loop and listener, how to log, what it counted.
/// The accept loop and the connection tasks get a pointer to it, so it must outlive them (its owner
/// declares it before the loop, or stops and destroys the loop first).
struct EchoServer {
    /// The largest recv() per connection, which is also the most echo data a connection holds.
    static constexpr std::size_t default_chunk = 64 * 1024;

    SelectLoop* loop = nullptr;         ///< where the connection tasks are spawned
    int listener = -1;                  ///< a non-blocking listening socket
    std::size_t chunk = default_chunk;  ///< the largest recv() per connection
    /// Where log lines go (connection errors, refusals); none: silence.
    std::function<void(const std::string&)> log;
    EchoStats stats;                    ///< what it counted
    /// The descriptor the accept loop gives up to refuse a client when none is left (see the file
    /// comment); opened by accept_connections().
    UniqueFd spare;
};

namespace detail {
/// Logs through the server's log function, if it has one.
inline void server_log(EchoServer* server, const std::string& line) {
    if (server->log) server->log(line);
}

/// Opens the spare descriptor: /dev/null, the cheapest file there is.
inline UniqueFd open_spare() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }
} // namespace detail

/// Echoes everything the client sends back to it, until the client closes its side; then closes the
/// connection. Never throws: a client's error ends this connection only (see the file comment).
inline Coroutine<> echo_connection(UniqueFd sock, EchoServer* server) {
    EchoStats& stats = server->stats;
    stats.open += 1;
    stats.peak = std::max(stats.peak, stats.open);
    std::string failure;
    try {
        while (true) {
            // Await first, then try: recv() alone would return at once while the client keeps
            // sending, and a client that never pauses would keep the thread from everybody else.
            // This way each connection gets one chunk per turn of the loop (see "Fairness" above).
            co_await Readable{sock.get()};
            std::string data = co_await recv(sock.get(), server->chunk);
            if (data.empty()) break;   // end of file: the client has sent everything
            stats.bytes += data.size();
            // No recv() until this is all sent: this is what bounds the memory (file comment).
            co_await send_all(sock.get(), std::move(data));
        }
    } catch (const std::system_error& e) {
        // ECONNRESET, EPIPE...: this client's problem, nobody else's. (No co_await in a handler:
        // C++ forbids it, so the handler only records what happened.)
        failure = e.what();
    }
    stats.open -= 1;
    if (failure.empty()) {
        stats.finished += 1;
    } else {
        stats.failed += 1;
        detail::server_log(server, "connection fd " + std::to_string(sock.get()) + " ended: " + failure);
    }
}   // `sock` closes here

/// Accepts connections on `server->listener` forever, spawning an echo_connection() task for each;
/// refuses (with a log line) the ones it cannot serve. It ends only when its loop is stopped and
/// destroyed. An accept() error other than "no descriptor left" is thrown (to the loop, which stops).
inline Coroutine<> accept_connections(EchoServer* server) {
    server->spare = detail::open_spare();
    while (true) {
        UniqueFd sock;
        int no_fd_left = 0;   // errno of an accept() that found no descriptor left
        try {
            sock = co_await accept(server->listener);
        } catch (const std::system_error& e) {
            const int error = e.code().value();
            if (error != EMFILE && error != ENFILE) throw;
            no_fd_left = error;
        }
        if (no_fd_left != 0) {
            // Out of descriptors. Make room with the spare, take the client off the backlog, close it.
            server->spare.reset();
            UniqueFd refused(::accept4(server->listener, nullptr, nullptr, SOCK_CLOEXEC));
            server->spare = detail::open_spare();
            server->stats.refused += 1;
            detail::server_log(server, std::string("refused a connection: no file descriptor left (") +
                                           (no_fd_left == EMFILE ? "EMFILE" : "ENFILE") + "); still serving " +
                                           std::to_string(server->stats.open) + " connections");
            if (!refused && !server->spare) {
                // Not even the spare trick worked: wait a little rather than spin on accept().
                co_await Sleep{server->loop->clock().now() + seconds(0.05)};
            }
            continue;
        }
        if (sock.get() >= FD_SETSIZE) {
            server->stats.refused += 1;
            detail::server_log(server, "refused a connection: its fd " + std::to_string(sock.get()) +
                                           " is at or above FD_SETSIZE (" + std::to_string(FD_SETSIZE) +
                                           "), which select() cannot watch; still serving " +
                                           std::to_string(server->stats.open) + " connections");
            continue;   // `sock` closes here: the client sees the connection closed
        }
        server->stats.accepted += 1;
        const std::string name = "echo fd " + std::to_string(sock.get());
        server->loop->spawn(name, echo_connection(std::move(sock), server));
    }
}

} // namespace looplab::stage04
