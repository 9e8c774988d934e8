/// @file
/// @brief Streams on transports: StreamReaderProtocol turns the push of a Protocol into the pull of
/// a StreamReader; StreamWriter writes and drains; open_connection and start_server.
///
/// **What this file adds.** transports.hpp pushes: each chunk lands in data_received() when the
/// loop says so. A program that wants "the next line" would have to keep its own buffer and state
/// machine. Streams do that once, for everyone, as asyncio's streams.py does:
/// ```
///  transport --data_received(chunk)--> StreamReaderProtocol --feed_data--> StreamReader buffer
///                                                                            ^ readline() (pull)
///  coroutine --write()--> transport (send now, or buffer) --pause_writing/resume_writing-->
///            StreamReaderProtocol: drain() waits while the transport's buffer is above its mark
/// ```
/// The protocol is an adapter with no buffer of its own: data_received feeds the reader,
/// eof_received feeds end of file and keeps the transport open for writing (a client may send
/// end of file and still read the answer), connection_lost wakes whoever waits for anything.
///
/// **drain().** write() never waits; the transport tells the protocol when its buffer passes the
/// high-water mark (pause_writing) and when it is back under the low-water mark (resume_writing).
/// drain() waits in between. So an echo server that reads, writes and drains holds at most about
/// 2 x limit + 64 KiB + the high-water mark per connection, whatever its clients do.
///
/// **End and errors.** A reset reaches every read (even with bytes still buffered, as in
/// asyncio), drain() and wait_closed(); later writes are dropped. write() after close() or
/// write_eof() is a RuntimeError (asyncio's transport drops the first quietly, looplab's writer says so).
///
/// **Ownership.** StreamReader and StreamWriter are handles on one connection, like Future: copies
/// share it. When the last handle goes, the connection is closed as close() closes it (asyncio 3.13
/// does the same when a StreamWriter is collected). Streams must not outlive their loop.
///
/// **What it leaves out.** SSL and start_tls, UNIX-socket and IPv6 servers (looplab serves
/// 127.0.0.1), get_extra_info, and settable write-buffer limits per stream.
///
/// **What it costs.** On top of the transport: the reader's buffer (one copy in, one out), one
/// Future per wait for data or drain, and one task per connection for start_server.
#pragma once

#include <cerrno>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "protocols.hpp"
#include "servers.hpp"
#include "sleep.hpp"
#include "socket_ops.hpp"
#include "stream_reader.hpp"
#include "task.hpp"
#include "toolkit_errors.hpp"
#include "transports.hpp"

namespace looplab::inline stage08 {

class StreamWriter;

/// The Protocol that feeds a StreamReader and lets StreamWriter::drain() wait (see the file comment).
class StreamReaderProtocol final : public Protocol, public std::enable_shared_from_this<StreamReaderProtocol> {
public:
    /// What start_server does with a new connection's two streams.
    using Connected = std::function<void(StreamReader, StreamWriter)>;

    /// A protocol feeding `reader`; `connected`, if given, gets the streams in connection_made().
    StreamReaderProtocol(EventLoop& loop, std::shared_ptr<detail::StreamState> reader, Connected connected = {})
        : loop_(loop), reader_(std::move(reader)), connected_(std::move(connected)) {}

    void connection_made(Transport& transport) override;   // below StreamWriter, which it makes
    void data_received(std::string_view data) override { reader_->feed_data(data); }
    bool eof_received() override {
        reader_->feed_eof();
        return true;   // half-close: we may still write the answer
    }
    void connection_lost(std::exception_ptr error) override {
        if (error) {
            reader_->set_exception(error);
        } else {
            reader_->feed_eof();
        }
        lost_ = true;
        lost_error_ = error;
        wake(drain_waiters_, error);
        wake(closed_waiters_, error);
    }
    void pause_writing() override { paused_ = true; }
    void resume_writing() override {
        paused_ = false;
        wake(drain_waiters_, nullptr);
    }

    /// StreamWriter::drain(): the reader's error; a closing transport gets one iteration to finish;
    /// a lost connection is an error; otherwise wait while the transport is paused.
    static Coroutine<void> drain(std::shared_ptr<StreamReaderProtocol> self, std::shared_ptr<Transport> transport) {
        self->reader_->rethrow_error();
        if (transport->is_closing()) co_await sleep(0);   // let a closing connection finish, as asyncio does
        if (self->lost_) {
            self->reader_->rethrow_error();
            throw std::system_error(ECONNRESET, std::generic_category(), "drain(): the connection is lost");
        }
        if (!self->paused_) co_return;
        Future<void> waiter(self->loop_, "StreamWriter.drain");
        self->drain_waiters_.push_back(waiter);
        co_await waiter;
    }
    /// StreamWriter::wait_closed(): until connection_lost; then its error, if any.
    static Coroutine<void> wait_closed(std::shared_ptr<StreamReaderProtocol> self) {
        if (!self->lost_) {
            Future<void> waiter(self->loop_, "StreamWriter.wait_closed");
            self->closed_waiters_.push_back(waiter);
            co_await waiter;
        }
        if (self->lost_error_) std::rethrow_exception(self->lost_error_);
    }

private:
    // Completes every waiter in `waiters`, with `error` or without.
    static void wake(std::vector<Future<void>>& waiters, const std::exception_ptr& error) {
        for (Future<void>& w : std::exchange(waiters, {})) {
            if (w.done()) continue;
            if (error) {
                w.set_exception(error);
                (void)w.exception();   // retrieved: the one who waits hears it; nobody else must
            } else {
                w.set_result();
            }
        }
    }

    EventLoop& loop_;
    std::shared_ptr<detail::StreamState> reader_;
    Connected connected_;
    bool paused_ = false;   // between pause_writing and resume_writing
    bool lost_ = false;
    std::exception_ptr lost_error_;
    std::vector<Future<void>> drain_waiters_;
    std::vector<Future<void>> closed_waiters_;
};

/// Writes to a connection: at once when the socket takes it, else through the transport's buffer.
/// A handle: copies share the connection.
class StreamWriter {
public:
    /// A writer on an existing connection (open_connection and start_server make these).
    explicit StreamWriter(std::shared_ptr<detail::StreamOwner> owner) : owner_(std::move(owner)) {}

    /// Sends `data` now if the socket takes it, else buffers it; never waits. After close() or
    /// write_eof() it is a RuntimeError; after the connection was lost the data is dropped, and
    /// drain() reports why.
    void write(std::string_view data) const {
        if (owner_->close_called) throw RuntimeError("StreamWriter.write() after close()");
        owner_->transport->write(data);
    }
    /// Waits while the write buffer is above the high-water mark (64 KiB), until it is at or below
    /// the low-water mark (16 KiB); returns at once otherwise. Raises the connection's error.
    [[nodiscard]] Coroutine<void> drain() const { return StreamReaderProtocol::drain(protocol(), owner_->transport); }
    /// Shuts down the sending side (the peer reads end of file) once the buffer is sent.
    void write_eof() const { owner_->transport->write_eof(); }
    /// Stops reading, sends what is buffered, then closes the socket.
    void close() const {
        owner_->close_called = true;
        owner_->transport->close();
    }
    /// True once close() was called or the connection was lost.
    [[nodiscard]] bool is_closing() const { return owner_->transport->is_closing(); }
    /// Waits until the socket is closed; raises the error that ended the connection, if one did.
    [[nodiscard]] Coroutine<void> wait_closed() const { return StreamReaderProtocol::wait_closed(protocol()); }
    /// Bytes waiting in the write buffer.
    [[nodiscard]] std::size_t write_buffer_size() const { return owner_->transport->get_write_buffer_size(); }

private:
    // The owner's protocol is always a StreamReaderProtocol (make_streams and friends put it there).
    std::shared_ptr<StreamReaderProtocol> protocol() const { return std::static_pointer_cast<StreamReaderProtocol>(owner_->protocol); }

    std::shared_ptr<detail::StreamOwner> owner_;
};

inline void StreamReaderProtocol::connection_made(Transport& transport) {
    reader_->set_transport(transport.shared_from_this());   // for pause_reading/resume_reading
    if (!connected_) return;
    auto owner = std::make_shared<detail::StreamOwner>(reader_, transport.shared_from_this(), shared_from_this());
    std::exchange(connected_, {})(StreamReader(owner), StreamWriter(owner));   // once; what it holds goes
}

/// A connection's two streams.
struct Streams {
    StreamReader reader;   ///< what the peer sends
    StreamWriter writer;   ///< what we send
};

namespace detail {
/// A reader, its protocol, and the handles' owner for a transport made elsewhere.
inline Streams streams_for(std::shared_ptr<StreamState> reader, std::shared_ptr<StreamReaderProtocol> protocol,
                           std::shared_ptr<Transport> transport) {
    auto owner = std::make_shared<StreamOwner>(std::move(reader), std::move(transport), std::move(protocol));
    return Streams{StreamReader(owner), StreamWriter(owner)};
}
} // namespace detail

/// The two streams of the connected non-blocking socket `sock`, on a SocketTransport of their own;
/// reading starts once connection_made() has run (the next iteration).
inline Streams make_streams(UniqueFd sock, std::size_t limit = default_stream_limit) {
    EventLoop& loop = get_running_loop();
    auto reader = std::make_shared<detail::StreamState>(limit);
    auto protocol = std::make_shared<StreamReaderProtocol>(loop, reader);
    std::shared_ptr<Transport> transport = SocketTransport::start(loop, std::move(sock), protocol);
    return detail::streams_for(reader, protocol, transport);
}

/// Connects to `address` and returns the connection's streams: `auto [reader, writer] = co_await
/// open_connection(address);`. create_connection() with a StreamReaderProtocol. Raises the connect
/// error, which names the address.
inline Coroutine<Streams> open_connection(sockaddr_in address, std::size_t limit = default_stream_limit) {
    auto reader = std::make_shared<detail::StreamState>(limit);
    auto protocol = std::make_shared<StreamReaderProtocol>(get_running_loop(), reader);
    // A named factory: GCC 12 destroys a lambda temporary inside a co_await expression twice.
    const ProtocolFactory factory = [protocol] { return protocol; };
    Connection c = co_await create_connection(factory, address);
    co_return detail::streams_for(reader, protocol, c.transport);
}

/// What start_server calls for each connection: a coroutine given the connection's streams.
using ClientConnected = std::function<Coroutine<void>(StreamReader, StreamWriter)>;

namespace detail {
// One handler task: the callback; an exception it lets out is counted, reported, and closes its
// connection. `attachment` keeps the connection counted as open until the handler returns.
inline Coroutine<void> serve_client(std::shared_ptr<ServerState> server, ClientConnected callback,
                                    [[maybe_unused]] std::shared_ptr<void> attachment, StreamReader reader,
                                    StreamWriter writer) {
    std::exception_ptr failure;
    try {
        co_await callback(reader, writer);
    } catch (const std::exception&) {   // CancelledError passes: the task ends cancelled
        failure = std::current_exception();
    }
    if (failure) {
        server->handler_failed(failure);
        writer.close();
    }
}
} // namespace detail

/// Listens on 127.0.0.1:`port` (0: a free port) and, for each connection, runs
/// `client_connected(reader, writer)` as a task of its own: create_server() with a
/// StreamReaderProtocol per connection that starts the task in connection_made(). Refuses (and
/// reports) connections it cannot serve (servers.hpp). An exception escaping a handler is reported
/// ("Unhandled exception in client_connected_cb") and closes its connection; the others go on.
/// Server::wait_closed() also waits for every handler to return.
inline Coroutine<Server> start_server(ClientConnected client_connected, std::uint16_t port = 0, ServerOptions options = {}) {
    if (!client_connected) throw std::invalid_argument("start_server() needs a client_connected callback");
    co_return Server(detail::listen_and_serve(
        port, options,
        [client_connected](const std::shared_ptr<detail::ServerState>& server, UniqueFd sock, std::shared_ptr<void> attachment) {
            const std::string name = "connection " + std::to_string(server->stats().accepted);
            auto connected = [server, client_connected, attachment, name](StreamReader r, StreamWriter w) {
                server->loop().create_task(detail::serve_client(server, client_connected, attachment, r, w), name);
            };
            auto reader = std::make_shared<detail::StreamState>(server->options().limit);
            auto protocol = std::make_shared<StreamReaderProtocol>(server->loop(), reader, connected);
            SocketTransport::start(server->loop(), std::move(sock), protocol, std::nullopt, std::move(attachment));
        }));
}

} // namespace looplab::stage08
