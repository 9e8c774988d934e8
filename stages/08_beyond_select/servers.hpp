/// @file
/// @brief create_server and create_connection: where connections come from. A server accepts
/// sockets and gives each a SocketTransport and a fresh Protocol; a client connects and does the same.
///
/// **What this file adds.** transports.hpp drives one connection. Something must make them:
///  - `create_server(factory, port)` listens on 127.0.0.1. Each readable turn of the listening socket
///    accepts what waits (up to the backlog), calls `factory()` for a new Protocol per connection,
///    and starts a SocketTransport that calls its connection_made(). No task, no coroutine per
///    connection: the protocols are callbacks. It returns a Server: its port, close(), wait_closed(),
///    and what it counted;
///  - `create_connection(factory, address)` connects a new socket, starts a transport for
///    `factory()`'s protocol, and returns both once connection_made() has run.
///
/// **Refusing what cannot be served.** When no descriptor is left (EMFILE, ENFILE) the waiting
/// client stays in the backlog and the listener stays readable: a plain retry would spin. The
/// server closes a spare fd kept for this moment, accepts, closes the client at once and reopens
/// the spare (stage 04's trick). A connection whose fd select() cannot watch (>= FD_SETSIZE) is
/// closed at once. Both are reported through the loop's exception handler and counted; the other
/// connections carry on. asyncio instead stops accepting for a second; looplab refuses the client.
///
/// **Counting connections.** A connection counts as open while anyone holds its *attachment*: the
/// transport until connection_lost() has run, and for start_server (streams.hpp) also the handler
/// task until it returns. wait_closed() waits until the server is closed and nothing is open (asyncio
/// 3.12 and 3.13 wait for the connections' transports to close, not for the handlers; 3.11 not at all).
///
/// **What it leaves out.** Addresses other than 127.0.0.1, several listening sockets, SSL,
/// start_serving=False, Server.close_clients() and abort_clients() (3.13), and happy eyeballs.
///
/// **What it costs.** Per server: the listener, a spare fd and one reader registration. Per
/// connection: one accept4() (no Future: the accept callback is the loop's), the protocol the
/// factory makes, and a transport.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <sys/select.h>
#include <sys/socket.h>

#include "coroutine.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "socket_ops.hpp"
#include "sockets.hpp"
#include "task.hpp"
#include "transports.hpp"

namespace looplab::inline stage08 {

/// Makes the protocol of one new connection (asyncio's protocol_factory).
using ProtocolFactory = std::function<std::shared_ptr<Protocol>()>;

/// What a server counted.
struct ServerStats {
    std::uint64_t accepted = 0;  ///< connections accepted and served
    std::uint64_t refused = 0;   ///< connections closed at once: no fd left, or fd >= FD_SETSIZE
    std::uint64_t failed = 0;    ///< start_server: handlers that ended with an exception (reported)
    std::size_t open = 0;        ///< connections open now (see the file comment)
    std::size_t peak = 0;        ///< the most at once
};

/// How a server sets up.
struct ServerOptions {
    std::size_t limit = 64 * 1024;   ///< start_server: each connection's reader limit
    int backlog = 1024;              ///< listen() backlog, and most accepts per readable turn
};

namespace detail {

/// A server's shared state: the listener, its accept callback, the count of open connections.
class ServerState {
public:
    /// What to do with each accepted socket, given the server and the connection's attachment.
    using Serve = std::function<void(const std::shared_ptr<ServerState>&, UniqueFd, std::shared_ptr<void>)>;

    ServerState(EventLoop& loop, UniqueFd listener, Serve serve, ServerOptions options)
        : loop_(loop), listener_(std::move(listener)), serve_(std::move(serve)), options_(options),
          port_(local_port(listener_.get())), spare_(open_spare()) {}
    ServerState(const ServerState&) = delete;
    ServerState& operator=(const ServerState&) = delete;
    ~ServerState() { close(); }

    /// Starts accepting. The accept callback holds the server alive until close() (or the loop's
    /// close()), as asyncio's loop holds a serving server.
    static void start(const std::shared_ptr<ServerState>& self) {
        self->loop_.add_reader(self->listener_.get(), [self] { self->on_acceptable(self); }, "server accept");
    }
    void close() {
        if (!listener_) return;
        if (!loop_.is_closed()) loop_.remove_reader(listener_.get());
        listener_.reset();
        wake_if_idle();
    }
    bool serving() const { return static_cast<bool>(listener_); }
    std::uint16_t port() const { return port_; }
    const ServerStats& stats() const { return stats_; }
    EventLoop& loop() const { return loop_; }
    const ServerOptions& options() const { return options_; }

    /// A connection is open while someone holds what this returns (see the file comment).
    static std::shared_ptr<void> attach(const std::shared_ptr<ServerState>& self) {
        self->stats_.open += 1;
        self->stats_.peak = std::max(self->stats_.peak, self->stats_.open);
        return std::shared_ptr<void>(nullptr, [self](void*) {   // the deleter runs even for null
            self->stats_.open -= 1;
            self->wake_if_idle();
        });
    }
    /// Counts a failed handler and reports it (start_server).
    void handler_failed(std::exception_ptr error) {
        stats_.failed += 1;
        report("Unhandled exception in client_connected_cb", std::move(error));
    }

    static Coroutine<void> wait_closed(std::shared_ptr<ServerState> self) {
        if (self->serving() || self->stats_.open > 0) {
            Future<void> waiter(get_running_loop(), "Server.wait_closed");
            self->idle_waiters_.push_back(waiter);
            co_await waiter;
        }
    }

private:
    static UniqueFd open_spare() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

    void report(const std::string& message, std::exception_ptr error = nullptr) {
        loop_.call_exception_handler({message, std::move(error), "server on 127.0.0.1:" + std::to_string(port_)});
    }

    // Each readable turn of the listener: accept what is waiting (at most `backlog`), refuse what
    // cannot be served, and serve the others.
    void on_acceptable(const std::shared_ptr<ServerState>& self) {
        for (int i = 0; i < options_.backlog && listener_; ++i) {
            const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                const int error = errno;
                if (error == EINTR || error == ECONNABORTED) continue;
                if (would_block(error)) return;
                if (error == EMFILE || error == ENFILE) {
                    refuse_without_fd(error);
                    continue;
                }
                report("socket.accept() failed", os_error(error, call_on("accept", listener_.get())));
                return;
            }
            UniqueFd sock(fd);
            if (fd >= FD_SETSIZE) {   // select() could not watch it: refuse rather than corrupt memory
                stats_.refused += 1;
                report("refused a connection: its fd " + std::to_string(fd) + " is at or above FD_SETSIZE (" +
                       std::to_string(FD_SETSIZE) + "), which select() cannot watch; still serving " +
                       std::to_string(stats_.open) + " connections");
                continue;   // `sock` closes here: the client sees the connection closed
            }
            stats_.accepted += 1;
            try {
                serve_(self, std::move(sock), attach(self));
            } catch (const std::exception&) {   // the factory failed: this connection only
                report("Error on transport creation for incoming connection", std::current_exception());
            }
        }
    }

    // Out of descriptors: see the file comment.
    void refuse_without_fd(int error) {
        spare_.reset();
        UniqueFd refused(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        spare_ = open_spare();
        stats_.refused += 1;
        report(std::string("refused a connection: no file descriptor left (") + (error == EMFILE ? "EMFILE" : "ENFILE") +
               "); still serving " + std::to_string(stats_.open) + " connections");
    }

    void wake_if_idle() {
        if (listener_ || stats_.open > 0 || loop_.is_closed()) return;
        for (Future<void>& w : std::exchange(idle_waiters_, {}))
            if (!w.done()) w.set_result();
    }

    EventLoop& loop_;
    UniqueFd listener_;
    Serve serve_;
    ServerOptions options_;
    std::uint16_t port_;
    UniqueFd spare_;
    ServerStats stats_;
    std::vector<Future<void>> idle_waiters_;
};

/// Listens on 127.0.0.1:`port` and starts serving each connection with `serve`.
inline std::shared_ptr<ServerState> listen_and_serve(std::uint16_t port, ServerOptions options, ServerState::Serve serve) {
    UniqueFd listener = listen_loopback(port, options.backlog);
    set_nonblocking(listener.get());
    auto state = std::make_shared<ServerState>(get_running_loop(), std::move(listener), std::move(serve), options);
    ServerState::start(state);
    return state;
}

} // namespace detail

/// A running server (create_server, start_server). A handle: copies share the server, which serves
/// until close() or until its loop closes, whether anybody holds a handle or not (as in asyncio).
class Server {
public:
    /// Wraps a server's state (create_server and start_server make servers).
    explicit Server(std::shared_ptr<detail::ServerState> state) : state_(std::move(state)) {}
    /// The port it listens on (useful after asking for port 0).
    [[nodiscard]] std::uint16_t port() const { return state_->port(); }
    /// 127.0.0.1:port.
    [[nodiscard]] sockaddr_in address() const { return loopback_address(state_->port()); }
    /// True until close().
    [[nodiscard]] bool is_serving() const { return state_->serving(); }
    /// Stops accepting and closes the listening socket; connections already open go on.
    void close() const { state_->close(); }
    /// Waits until the server is closed and no connection is open (see the file comment).
    [[nodiscard]] Coroutine<void> wait_closed() const { return detail::ServerState::wait_closed(state_); }
    /// What it counted.
    [[nodiscard]] const ServerStats& stats() const { return state_->stats(); }

private:
    std::shared_ptr<detail::ServerState> state_;
};

/// Listens on 127.0.0.1:`port` (0: a free port); each connection gets `factory()`'s protocol on a
/// SocketTransport of its own. Refuses, with a report, what cannot be served (see the file comment).
inline Coroutine<Server> create_server(ProtocolFactory factory, std::uint16_t port = 0, ServerOptions options = {}) {
    if (!factory) throw std::invalid_argument("create_server() needs a protocol factory");
    co_return Server(detail::listen_and_serve(
        port, options, [factory](const std::shared_ptr<detail::ServerState>& server, UniqueFd sock, std::shared_ptr<void> attachment) {
            SocketTransport::start(server->loop(), std::move(sock), factory(), std::nullopt, std::move(attachment));
        }));
}

/// One connection's two halves, as create_connection returns them.
struct Connection {
    std::shared_ptr<Transport> transport;   ///< how to write, close, pause
    std::shared_ptr<Protocol> protocol;     ///< the protocol `factory()` made
};

/// Connects to `address`, starts a transport for `factory()`'s protocol, and returns both once
/// connection_made() has run. Raises the connect error, which names the address.
inline Coroutine<Connection> create_connection(ProtocolFactory factory, sockaddr_in address) {
    if (!factory) throw std::invalid_argument("create_connection() needs a protocol factory");
    UniqueFd sock = co_await connect_tcp(address);
    std::shared_ptr<Protocol> protocol = factory();
    Future<void> made(get_running_loop(), "create_connection");
    std::shared_ptr<Transport> transport = SocketTransport::start(get_running_loop(), std::move(sock), protocol, made);
    struct CloseUnlessMade {   // cancelled while waiting: the connection is nobody's, close it
        Future<void> made;
        std::shared_ptr<Transport> transport;
        ~CloseUnlessMade() {
            if (!made.done() || made.cancelled()) transport->close();
        }
    } guard{made, transport};
    co_await made;
    co_return Connection{transport, protocol};
}

} // namespace looplab::stage08
