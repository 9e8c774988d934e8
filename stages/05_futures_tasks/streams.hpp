/// @file
/// @brief Streams: StreamReader (read, readline, readexactly, readuntil) and StreamWriter (write,
/// drain, close) over a socket; open_connection and start_server.
///
/// **What this file adds.** sock_recv() returns whatever one recv() got: half a line, three lines and
/// a bit. Programs want lines, or exactly 4 bytes of header, and they want to write without
/// thinking about partial sends. Streams give them that, as asyncio's do:
///  - a **StreamReader** keeps a buffer. A reader callback on the socket (the part asyncio calls the
///    *transport*) appends each chunk that arrives (feed_data) and wakes whoever waits for data;
///    readline() and friends take from the buffer and wait only when it does not hold what they
///    need yet (C46, C48);
///  - a **StreamWriter** sends at once what fits; the rest goes into a buffer that a writer callback
///    empties as the socket drains. write() never waits; `co_await drain()` waits while that buffer
///    is above its *high-water mark* (64 KiB), until it is back under the low-water mark (16 KiB).
///
/// ```
///  socket --readable--> reader callback: recv() --feed_data--> buffer --readline()--> coroutine
///  coroutine --write()--> send() at once; the rest --> buffer --writable--> writer callback: send()
///                                       drain() waits while the buffer is above 64 KiB
/// ```
///
/// **Bounded memory, both ways (asyncio's flow control).** A reader whose buffer passes twice its
/// limit stops reading from the socket (remove_reader) until the coroutine has taken it back below
/// the limit; the kernel's buffers then fill and TCP makes the sender wait. A writer's buffer grows
/// only as long as the coroutine writes without draining. So an echo server that reads, writes and
/// drains holds at most about 2 x limit + 64 KiB + the high-water mark per connection, whatever its
/// clients do.
///
/// **The limit** (64 KiB unless told otherwise) bounds a line: readuntil() raises LimitOverrunError
/// when the separator is not within `limit` bytes, and readline() turns that into
/// std::invalid_argument (asyncio's ValueError) after dropping the overlong line (C47).
///
/// **End of file and errors.** End of file is not an error: read() returns "", readline() the last
/// partial line or "", readexactly() raises IncompleteReadError holding what did arrive (C48). A real
/// error (a reset) ends the connection: the socket is closed, every read raises it (even with
/// bytes still buffered, as in asyncio), drain() and wait_closed() raise it, later writes are dropped.
///
/// **Ownership.** StreamReader and StreamWriter are handles on one shared connection, like Future:
/// copies share it. When the last handle goes, the socket is closed (asyncio would warn about an
/// unclosed transport; C++ knows when the last handle goes). Streams must not outlive their loop.
///
/// **What it leaves out.** Transports and protocols as classes of their own (their work is the two
/// callbacks of StreamState), SSL, UNIX-socket and IPv6 servers (looplab serves 127.0.0.1 only),
/// `readuntil` with several separators, async iteration, `get_extra_info`, and the write-buffer
/// limits as settable numbers per connection.
///
/// **What it costs.** Per connection: a shared state, the socket, a loop registration while
/// reading, the buffers. Each chunk received is copied once into the buffer and once out of it
/// (readline erases from the front of a std::string: O(buffer) per call; production code keeps a
/// read offset or a ring). Each wait for data is one Future.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <sys/select.h>
#include <sys/socket.h>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "sleep.hpp"
#include "sockets.hpp"
#include "task.hpp"

namespace looplab::inline stage05 {

/// A reader's default limit, as asyncio's: 64 KiB.
inline constexpr std::size_t default_stream_limit = 64 * 1024;

namespace detail {

/// One connection, shared by its StreamReader and StreamWriter: the socket and both directions'
/// buffers, waiters and flags. Its two callbacks are what asyncio calls the transport.
class StreamState : public std::enable_shared_from_this<StreamState> {
public:
    /// Largest recv() per readable turn.
    static constexpr std::size_t read_chunk = 64 * 1024;
    /// drain() waits while more than this is buffered for writing...
    static constexpr std::size_t high_water = 64 * 1024;
    /// ...until the buffer is back at or below this.
    static constexpr std::size_t low_water = 16 * 1024;

    /// A reader fed by hand (feed_data), with no socket.
    explicit StreamState(std::size_t limit) : limit_(limit) {
        if (limit == 0) throw std::invalid_argument("a stream's limit must be positive");
    }
    /// A connection over the non-blocking socket `sock`; start_reading() begins reading.
    StreamState(EventLoop& loop, UniqueFd sock, std::size_t limit) : StreamState(limit) {
        loop_ = &loop;
        sock_ = std::move(sock);
    }
    StreamState(const StreamState&) = delete;
    StreamState& operator=(const StreamState&) = delete;
    /// Unregisters the callbacks (they are only still there when the loop closed first); the socket
    /// closes with `sock_`.
    ~StreamState() {
        stop_reading();
        stop_writing();
    }

    // ---- reading ----

    std::size_t limit() const { return limit_; }
    bool eof() const { return eof_; }
    std::size_t buffered() const { return buffer_.size(); }
    const std::exception_ptr& read_error() const { return error_; }
    bool reading_paused() const { return paused_; }

    /// Appends `data` and wakes a waiting reader; pauses reading past 2 x limit.
    void feed_data(std::string_view data) {
        if (eof_) throw InvalidStateError("feed_data() after feed_eof()");
        if (data.empty()) return;
        buffer_.append(data);
        wake_reader();
        if (sock_ && !paused_ && buffer_.size() > 2 * limit_) {
            paused_ = true;   // flow control: let the kernel's buffers (and then the sender) wait
            stop_reading();
        }
    }
    /// The end of the stream: wakes a waiting reader.
    void feed_eof() {
        eof_ = true;
        wake_reader();
    }
    /// Fails every read from now on with `error`, and wakes a waiting reader with it.
    void set_exception(std::exception_ptr error) {
        error_ = std::move(error);
        if (waiter_ && !waiter_->done()) waiter_->set_exception(error_);
    }
    /// Throws the stored error, if any (every read starts with this, as asyncio's do).
    void rethrow_error() const {
        if (error_) std::rethrow_exception(error_);
    }
    /// Takes the first `n` buffered bytes; resumes reading once back under the limit.
    std::string take(std::size_t n) {
        std::string out;
        if (n >= buffer_.size()) {
            out.swap(buffer_);   // all of it: no copy
        } else {
            out = buffer_.substr(0, n);
            buffer_.erase(0, n);
        }
        if (paused_ && buffer_.size() <= limit_) {
            paused_ = false;
            start_reading();
        }
        return out;
    }
    const std::string& buffer() const { return buffer_; }

    /// Waits until feed_data, feed_eof or an error; one waiter at a time, as in asyncio.
    static Coroutine<void> wait_for_data(std::shared_ptr<StreamState> self, const char* func) {
        if (self->waiter_)
            throw RuntimeError(std::string(func) + "() called while another coroutine is already waiting for incoming data");
        if (self->paused_) {   // the caller wants more than the paused buffer: read again
            self->paused_ = false;
            self->start_reading();
        }
        Future<void> waiter(get_running_loop(), func);   // short names: no allocation for the name
        self->waiter_ = waiter;
        struct Clear {
            StreamState* s;
            ~Clear() { s->waiter_.reset(); }
        } clear{self.get()};
        co_await waiter;
    }

    // ---- writing ----

    std::size_t write_buffer_size() const { return out_.size(); }
    bool is_closing() const { return closing_ || lost_; }

    /// Sends at once what fits; buffers the rest for the writer callback.
    void write(std::string_view data) {
        if (closing_) throw RuntimeError("StreamWriter.write() after close()");
        if (eof_requested_) throw RuntimeError("Cannot call write() after write_eof()");
        if (data.empty()) return;
        if (lost_ || !sock_) return;   // the connection is gone: dropped, as asyncio drops it (drain() raises)
        if (out_.empty()) {
            const ssize_t n = ::send(sock_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0) {
                const int error = errno;
                if (error != EINTR && !would_block(error)) {
                    connection_lost(os_error(error, call_on("send", sock_.get())));
                    return;
                }
            } else {
                data.remove_prefix(static_cast<std::size_t>(n));
                if (data.empty()) return;   // all sent at once: the usual case
            }
        }
        out_.append(data);
        start_writing();
        if (out_.size() > high_water) write_paused_ = true;   // drain() waits from now on
    }

    /// Shuts down the sending side once everything buffered is sent.
    void write_eof() {
        if (closing_ || eof_requested_ || lost_) return;
        eof_requested_ = true;
        if (out_.empty() && sock_) ::shutdown(sock_.get(), SHUT_WR);
    }

    /// drain(): see StreamWriter::drain.
    static Coroutine<void> drain(std::shared_ptr<StreamState> self) {
        self->rethrow_error();
        if (self->is_closing()) co_await sleep(0);   // let a closing connection finish, as asyncio does
        if (self->lost_) {
            self->rethrow_error();
            throw std::system_error(ECONNRESET, std::generic_category(), "drain(): the connection is lost");
        }
        if (!self->write_paused_) co_return;
        Future<void> waiter(get_running_loop(), "StreamWriter.drain");
        self->drain_waiters_.push_back(waiter);
        co_await waiter;
    }

    /// Stops reading, and closes the socket once the write buffer is empty.
    void close() {
        if (closing_) return;
        closing_ = true;
        stop_reading();
        if (out_.empty()) connection_lost(nullptr);
    }

    /// wait_closed(): see StreamWriter::wait_closed.
    static Coroutine<void> wait_closed(std::shared_ptr<StreamState> self) {
        if (!self->lost_) {
            Future<void> waiter(get_running_loop(), "StreamWriter.wait_closed");
            self->closed_waiters_.push_back(waiter);
            co_await waiter;
        }
        if (self->lost_error_) std::rethrow_exception(self->lost_error_);
    }

private:
    void wake_reader() {
        if (waiter_ && !waiter_->done()) waiter_->set_result();
    }

public:
    /// Registers the reader callback. It holds the state alive, as asyncio's loop holds a transport
    /// that is registered; close() (or the end of the stream) unregisters it.
    void start_reading() {
        if (!sock_ || reading_ || lost_ || closing_) return;
        loop_->add_reader(sock_.get(), [self = shared_from_this()] { self->on_readable(); }, "stream reader");
        reading_ = true;
    }

private:
    void stop_reading() {
        if (!reading_) return;
        reading_ = false;
        loop_->remove_reader(sock_.get());
    }
    void start_writing() {
        if (!sock_ || writing_ || lost_) return;
        loop_->add_writer(sock_.get(), [self = shared_from_this()] { self->on_writable(); }, "stream writer");
        writing_ = true;
    }
    void stop_writing() {
        if (!writing_) return;
        writing_ = false;
        loop_->remove_writer(sock_.get());
    }

    // The transport's reading half: one recv() per readable turn, so every connection gets its turn.
    void on_readable() {
        // Through the thread's scratch buffer (sockets.hpp): growing buffer_ by a chunk first would
        // zero-fill 64 KiB for every message, however short.
        const std::span<char> scratch = recv_scratch();
        const ssize_t got = ::recv(sock_.get(), scratch.data(), std::min(read_chunk, scratch.size()), 0);
        const int error = errno;
        if (got > 0) {
            buffer_.append(scratch.data(), static_cast<std::size_t>(got));
            wake_reader();
            if (!paused_ && buffer_.size() > 2 * limit_) {   // flow control, as in feed_data()
                paused_ = true;
                stop_reading();
            }
        } else if (got == 0) {
            stop_reading();   // end of file; the writing side stays open (asyncio's eof_received)
            feed_eof();
        } else if (error != EINTR && !would_block(error)) {
            connection_lost(os_error(error, call_on("recv", sock_.get())));
        }
    }

    // The transport's writing half: send from the buffer; wake drain() under the low-water mark.
    void on_writable() {
        const ssize_t n = ::send(sock_.get(), out_.data(), out_.size(), MSG_NOSIGNAL);
        if (n < 0) {
            const int error = errno;
            if (error != EINTR && !would_block(error)) connection_lost(os_error(error, call_on("send", sock_.get())));
            return;
        }
        out_.erase(0, static_cast<std::size_t>(n));
        if (write_paused_ && out_.size() <= low_water) {
            write_paused_ = false;
            for (Future<void>& w : std::exchange(drain_waiters_, {}))
                if (!w.done()) w.set_result();
        }
        if (!out_.empty()) return;
        stop_writing();
        if (closing_) {
            connection_lost(nullptr);
        } else if (eof_requested_) {
            ::shutdown(sock_.get(), SHUT_WR);
        }
    }

    // The end of the connection, clean (`error` null) or not: unregister, close the socket, and
    // tell every waiter.
    void connection_lost(std::exception_ptr error) {
        if (lost_) return;
        lost_ = true;
        lost_error_ = error;
        stop_reading();
        stop_writing();
        out_.clear();
        sock_.reset();
        if (error) {
            set_exception(error);
        } else if (!eof_) {
            feed_eof();
        }
        for (Future<void>& w : std::exchange(drain_waiters_, {})) {
            if (w.done()) continue;
            if (error) {
                w.set_exception(error);
                w.state()->mark_retrieved();   // the writer's owner hears about it from drain()
            } else {
                w.set_result();
            }
        }
        for (Future<void>& w : std::exchange(closed_waiters_, {})) {
            if (w.done()) continue;
            if (error) {
                w.set_exception(error);
                w.state()->mark_retrieved();
            } else {
                w.set_result();
            }
        }
    }

    EventLoop* loop_ = nullptr;
    UniqueFd sock_;
    std::size_t limit_;
    // reading
    std::string buffer_;
    bool eof_ = false;
    std::exception_ptr error_;
    std::optional<Future<void>> waiter_;
    bool reading_ = false;
    bool paused_ = false;
    // writing
    std::string out_;
    bool writing_ = false;
    bool write_paused_ = false;
    bool eof_requested_ = false;
    bool closing_ = false;
    std::vector<Future<void>> drain_waiters_;
    // the end
    bool lost_ = false;
    std::exception_ptr lost_error_;
    std::vector<Future<void>> closed_waiters_;
};

/// What the StreamReader and StreamWriter of one connection share: when the last of them goes, the
/// connection is closed as close() closes it (what is buffered is still sent).
struct StreamOwner {
    std::shared_ptr<StreamState> state;   ///< the connection
    /// Owns `s`.
    explicit StreamOwner(std::shared_ptr<StreamState> s) : state(std::move(s)) {}
    StreamOwner(const StreamOwner&) = delete;
    StreamOwner& operator=(const StreamOwner&) = delete;
    /// Closes the connection gracefully.
    ~StreamOwner() { state->close(); }
};

/// readuntil() on shared state: a static function, so its frame holds the state (parameters by value).
inline Coroutine<std::string> read_until(std::shared_ptr<StreamState> s, std::string separator) {
    const std::size_t seplen = separator.size();
    if (seplen == 0) throw std::invalid_argument("readuntil(): the separator must be at least one byte");
    s->rethrow_error();
    // `offset`: where the search starts; bytes before it were searched already and hold no
    // separator (it may straddle the end, so we go back seplen - 1).
    std::size_t offset = 0;
    std::size_t found = std::string::npos;
    while (true) {
        const std::size_t buflen = s->buffered();
        if (buflen >= offset + seplen) {
            found = s->buffer().find(separator, offset);
            if (found != std::string::npos) break;
            offset = buflen + 1 - seplen;
            if (offset > s->limit())
                throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
        if (s->eof()) throw IncompleteReadError(s->take(buflen), std::nullopt);
        co_await StreamState::wait_for_data(s, "readuntil");
        s->rethrow_error();
    }
    if (found > s->limit()) throw LimitOverrunError("Separator is found, but chunk is longer than limit", found);
    co_return s->take(found + seplen);
}

} // namespace detail

/// Reads from a connection through a buffer (see the file comment). A handle: copies share the
/// connection.
class StreamReader {
public:
    /// A reader that is fed by hand with feed_data()/feed_eof() (tests, and adapters of your own).
    explicit StreamReader(std::size_t limit = default_stream_limit)
        : owner_(std::make_shared<detail::StreamOwner>(std::make_shared<detail::StreamState>(limit))) {}
    /// A reader on an existing connection (make_streams, open_connection and start_server make these).
    explicit StreamReader(std::shared_ptr<detail::StreamOwner> owner) : owner_(std::move(owner)) {}

    /// Up to `n` bytes: as soon as at least one byte is there (C48). `n` 0: "" at once. `n` < 0:
    /// everything until the end of the stream.
    [[nodiscard]] Coroutine<std::string> read(long n = -1) const { return read_impl(owner_->state, n); }
    /// One line, with its "\n"; at the end of the stream the partial last line, then "" (C46). A
    /// line longer than the limit raises std::invalid_argument and is dropped (C47).
    [[nodiscard]] Coroutine<std::string> readline() const { return readline_impl(owner_->state); }
    /// Everything up to and including `separator`. LimitOverrunError when it is not within the
    /// limit (the bytes stay buffered); IncompleteReadError (with the bytes) at the end of the stream.
    [[nodiscard]] Coroutine<std::string> readuntil(std::string separator = "\n") const {
        return detail::read_until(owner_->state, std::move(separator));
    }
    /// Exactly `n` bytes; IncompleteReadError holding the partial data if the stream ends first (C48).
    [[nodiscard]] Coroutine<std::string> readexactly(std::size_t n) const { return readexactly_impl(owner_->state, n); }

    /// Appends bytes, as the socket's reader callback does.
    void feed_data(std::string_view data) const { owner_->state->feed_data(data); }
    /// Marks the end of the stream.
    void feed_eof() const { owner_->state->feed_eof(); }
    /// Fails every read from now on with `error`.
    void set_exception(std::exception_ptr error) const { owner_->state->set_exception(std::move(error)); }
    /// The stored error, or null.
    [[nodiscard]] std::exception_ptr exception() const { return owner_->state->read_error(); }
    /// True when the stream has ended and the buffer is empty.
    [[nodiscard]] bool at_eof() const { return owner_->state->eof() && owner_->state->buffered() == 0; }
    /// The limit of a line (readuntil, readline).
    [[nodiscard]] std::size_t limit() const { return owner_->state->limit(); }
    /// Bytes received and not read yet.
    [[nodiscard]] std::size_t buffered() const { return owner_->state->buffered(); }
    /// True while flow control has stopped reading from the socket (the buffer holds over 2 x limit).
    [[nodiscard]] bool reading_paused() const { return owner_->state->reading_paused(); }

private:
    std::shared_ptr<detail::StreamOwner> owner_;

    static Coroutine<std::string> read_impl(std::shared_ptr<detail::StreamState> s, long n) {
        s->rethrow_error();
        if (n == 0) co_return std::string();
        if (n < 0) {   // until the end: a limit's worth at a time
            std::string all;
            while (true) {
                std::string block = co_await read_impl(s, static_cast<long>(s->limit()));
                if (block.empty()) co_return all;
                all += block;
            }
        }
        if (s->buffered() == 0 && !s->eof()) co_await detail::StreamState::wait_for_data(s, "read");
        s->rethrow_error();
        co_return s->take(static_cast<std::size_t>(n));
    }

    static Coroutine<std::string> readline_impl(std::shared_ptr<detail::StreamState> s) {
        std::string line;
        bool overrun = false;
        std::size_t consumed = 0;
        try {
            line = co_await detail::read_until(s, "\n");
        } catch (const IncompleteReadError& e) {
            line = e.partial();   // the end of the stream: the last, partial line (maybe "")
        } catch (const LimitOverrunError& e) {
            overrun = true;
            consumed = e.consumed();
        }
        if (overrun) {
            // Drop the overlong line: up to its separator if it is buffered, else everything.
            const std::size_t sep = s->buffer().find('\n', consumed);
            s->take(sep == std::string::npos ? s->buffered() : sep + 1);
            throw std::invalid_argument("readline(): the line is longer than the limit of " +
                                        std::to_string(s->limit()) + " bytes");
        }
        co_return line;
    }

    static Coroutine<std::string> readexactly_impl(std::shared_ptr<detail::StreamState> s, std::size_t n) {
        s->rethrow_error();
        if (n == 0) co_return std::string();
        while (s->buffered() < n) {
            if (s->eof()) throw IncompleteReadError(s->take(s->buffered()), n);
            co_await detail::StreamState::wait_for_data(s, "readexactly");
            s->rethrow_error();
        }
        co_return s->take(n);
    }
};

/// Writes to a connection: at once when the socket takes it, else through a buffer (see the file
/// comment). A handle: copies share the connection.
class StreamWriter {
public:
    /// A writer on an existing connection (open_connection and start_server make these).
    explicit StreamWriter(std::shared_ptr<detail::StreamOwner> owner) : owner_(std::move(owner)) {}

    /// Sends `data` now if the socket takes it, else buffers it; never waits. After close() or
    /// write_eof() it is a RuntimeError; after the connection was lost the data is dropped, and
    /// drain() reports why.
    void write(std::string_view data) const { owner_->state->write(data); }
    /// Waits while the write buffer is above the high-water mark (64 KiB), until it is at or below
    /// the low-water mark (16 KiB); returns at once otherwise. Raises the connection's error.
    [[nodiscard]] Coroutine<void> drain() const { return detail::StreamState::drain(owner_->state); }
    /// Shuts down the sending side (the peer reads end of file) once the buffer is sent.
    void write_eof() const { owner_->state->write_eof(); }
    /// Stops reading, sends what is buffered, then closes the socket.
    void close() const { owner_->state->close(); }
    /// True once close() was called or the connection was lost.
    [[nodiscard]] bool is_closing() const { return owner_->state->is_closing(); }
    /// Waits until the socket is closed; raises the error that ended the connection, if one did.
    [[nodiscard]] Coroutine<void> wait_closed() const { return detail::StreamState::wait_closed(owner_->state); }
    /// Bytes waiting in the write buffer.
    [[nodiscard]] std::size_t write_buffer_size() const { return owner_->state->write_buffer_size(); }

private:
    std::shared_ptr<detail::StreamOwner> owner_;
};

/// A connection's two streams.
struct Streams {
    StreamReader reader;   ///< what the peer sends
    StreamWriter writer;   ///< what we send
};

/// The two streams of the connected non-blocking socket `sock`; reading starts at once.
inline Streams make_streams(UniqueFd sock, std::size_t limit = default_stream_limit) {
    auto state = std::make_shared<detail::StreamState>(get_running_loop(), std::move(sock), limit);
    state->start_reading();
    auto owner = std::make_shared<detail::StreamOwner>(std::move(state));
    return Streams{StreamReader(owner), StreamWriter(owner)};
}

/// Connects to `address` and returns the connection's streams: `auto [reader, writer] = co_await
/// open_connection(address);`. Raises the connect error, which names the address.
inline Coroutine<Streams> open_connection(sockaddr_in address, std::size_t limit = default_stream_limit) {
    UniqueFd sock = co_await connect_tcp(address);
    co_return make_streams(std::move(sock), limit);
}

// ---------------------------------------------------------------------------------------------------
// start_server

/// What start_server calls for each connection: a coroutine given the connection's streams.
using ClientConnected = std::function<Coroutine<void>(StreamReader, StreamWriter)>;

/// What a server counted.
struct ServerStats {
    std::uint64_t accepted = 0;  ///< connections accepted and handed to the callback
    std::uint64_t refused = 0;   ///< connections closed at once: no fd left, or fd >= FD_SETSIZE
    std::uint64_t failed = 0;    ///< handlers that ended with an exception (reported)
    std::size_t open = 0;        ///< handlers running now
    std::size_t peak = 0;        ///< the most at once
};

/// How start_server sets up.
struct ServerOptions {
    std::size_t limit = default_stream_limit;   ///< each connection's reader limit
    int backlog = 1024;                          ///< listen() backlog, and most accepts per readable turn
};

namespace detail {

/// A server's shared state: the listener, its accept callback, the handlers' count.
class ServerState {
public:
    ServerState(EventLoop& loop, UniqueFd listener, ClientConnected callback, ServerOptions options)
        : loop_(loop), listener_(std::move(listener)), callback_(std::move(callback)), options_(options),
          port_(local_port(listener_.get())), spare_(open_spare()) {}
    ServerState(const ServerState&) = delete;
    ServerState& operator=(const ServerState&) = delete;
    ~ServerState() { close(); }

    /// Starts accepting. The accept callback holds the server alive until close() (or the loop's
    /// close()), as asyncio's loop holds a serving server.
    void start(const std::shared_ptr<ServerState>& self) {
        loop_.add_reader(listener_.get(), [self] { self->on_acceptable(self); }, "server accept");
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
    // cannot be served, and start a handler task for each of the others.
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
            Streams streams = make_streams(std::move(sock), options_.limit);
            loop_.create_task(serve_client(self, streams.reader, streams.writer),
                              "connection " + std::to_string(stats_.accepted));
        }
    }

    // Out of descriptors: the client stays in the backlog and the listener stays readable, so a
    // plain retry would spin. Close the spare fd to make room, accept, close at once, reopen the spare.
    void refuse_without_fd(int error) {
        spare_.reset();
        UniqueFd refused(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        spare_ = open_spare();
        stats_.refused += 1;
        report(std::string("refused a connection: no file descriptor left (") + (error == EMFILE ? "EMFILE" : "ENFILE") +
               "); still serving " + std::to_string(stats_.open) + " connections");
    }

    // One handler task: the callback, counted; an exception it lets out is reported, not lost.
    static Coroutine<void> serve_client(std::shared_ptr<ServerState> self, StreamReader reader, StreamWriter writer) {
        struct Count {
            ServerState* s;
            explicit Count(ServerState* server) : s(server) {
                s->stats_.open += 1;
                s->stats_.peak = std::max(s->stats_.peak, s->stats_.open);
            }
            ~Count() {
                s->stats_.open -= 1;
                s->wake_if_idle();
            }
        } count(self.get());
        std::exception_ptr failure;
        try {
            co_await self->callback_(reader, writer);
        } catch (const std::exception&) {   // CancelledError passes: the task ends cancelled
            failure = std::current_exception();
        }
        if (failure) {
            self->stats_.failed += 1;
            self->report("Unhandled exception in client_connected_cb", failure);
            writer.close();
        }
    }

    void wake_if_idle() {
        if (listener_ || stats_.open > 0 || loop_.is_closed()) return;
        for (Future<void>& w : std::exchange(idle_waiters_, {}))
            if (!w.done()) w.set_result();
    }

    EventLoop& loop_;
    UniqueFd listener_;
    ClientConnected callback_;
    ServerOptions options_;
    std::uint16_t port_;
    UniqueFd spare_;
    ServerStats stats_;
    std::vector<Future<void>> idle_waiters_;
};

} // namespace detail

/// A running server (start_server). A handle: copies share the server, which serves until close()
/// or until its loop closes, whether anybody holds a handle or not (as in asyncio).
class Server {
public:
    /// Wraps a server's state (start_server makes servers).
    explicit Server(std::shared_ptr<detail::ServerState> state) : state_(std::move(state)) {}
    /// The port it listens on (useful after asking for port 0).
    [[nodiscard]] std::uint16_t port() const { return state_->port(); }
    /// 127.0.0.1:port.
    [[nodiscard]] sockaddr_in address() const { return loopback_address(state_->port()); }
    /// True until close().
    [[nodiscard]] bool is_serving() const { return state_->serving(); }
    /// Stops accepting and closes the listening socket; connections already open go on.
    void close() const { state_->close(); }
    /// Waits until the server is closed and every connection handler has returned (asyncio 3.12+).
    [[nodiscard]] Coroutine<void> wait_closed() const { return detail::ServerState::wait_closed(state_); }
    /// What it counted.
    [[nodiscard]] const ServerStats& stats() const { return state_->stats(); }

private:
    std::shared_ptr<detail::ServerState> state_;
};

/// Listens on 127.0.0.1:`port` (0: a free port) and, for each connection, runs
/// `client_connected(reader, writer)` as a task of its own. Refuses (and reports through the loop's
/// exception handler) connections it cannot serve: when no descriptor is left (EMFILE, ENFILE), or
/// when the new fd is one select() cannot watch. An exception escaping a handler is reported
/// ("Unhandled exception in client_connected_cb") and its connection closed; the others go on.
inline Coroutine<Server> start_server(ClientConnected client_connected, std::uint16_t port = 0, ServerOptions options = {}) {
    if (!client_connected) throw std::invalid_argument("start_server() needs a client_connected callback");
    EventLoop& loop = get_running_loop();
    UniqueFd listener = listen_loopback(port, options.backlog);
    set_nonblocking(listener.get());
    auto state = std::make_shared<detail::ServerState>(loop, std::move(listener), std::move(client_connected), options);
    state->start(state);
    co_return Server(state);
}

} // namespace looplab::stage05
