/// @file
/// @brief SocketTransport: a Transport over a connected non-blocking socket, driven by the loop's
/// add_reader/add_writer callbacks (asyncio's selector_events.py, _SelectorSocketTransport).
///
/// **What this file adds.** The insides of protocols.hpp's Transport for a socket:
/// ```
///  readable --> reader callback: one recv() --> protocol.data_received(chunk)
///                                  "" (EOF) --> protocol.eof_received(): true: stop reading only;
///                                                                        false: close()
///  write(b) --> send() at once --> the rest --> buffer --writable--> writer callback: send()
///  close()  --> stop reading; once the buffer is empty: socket closed, connection_lost(null)
///  an error --> buffer dropped, connection_lost(error) in a callback of its own
/// ```
///
/// **Flow control, both ways.** write() never waits, so the water marks of flow_control.hpp tell the
/// protocol when to pause and resume writing. pause_reading() removes the reader from the loop: the
/// kernel's buffer fills and TCP makes the sender wait.
///
/// **Errors.** An OS error (a reset) is the peer's doing: only connection_lost() hears of it. An
/// exception from the protocol's own callbacks is a bug: reported ("Fatal error: ..."), and it ends
/// the connection too.
///
/// **Ownership.** A SocketTransport keeps itself, and its protocol, alive from start() until
/// connection_lost() has run, as asyncio's loop keeps an open transport. C++ has no garbage collector
/// to find a forgotten one, so close or abort it (streams.hpp does when its last handle goes).
///
/// **What it leaves out.** TCP_NODELAY, sendmsg() of several buffers, sendfile, and asyncio's
/// warning after a few writes to a lost connection (they are dropped silently here).
///
/// **What it costs.** Per connection: one shared object, the socket, a registration while reading
/// and one while a write waits. Each chunk is lent to data_received() from a scratch buffer (no
/// copy); a buffered write is copied in and erased from the front as it goes (O(buffer) per send).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <sys/socket.h>

#include "errors.hpp"
#include "event_loop.hpp"
#include "flow_control.hpp"
#include "future.hpp"
#include "looplab/fd.hpp"
#include "protocols.hpp"
#include "socket_ops.hpp"
#include "sockets.hpp"

namespace looplab::inline stage08 {

/// A Transport over a connected non-blocking socket, driven by add_reader/add_writer callbacks
/// (asyncio's _SelectorSocketTransport). Make one with SocketTransport::start().
class SocketTransport final : public Transport {
public:
    /// Largest recv() per readable turn (asyncio reads up to 256 KiB; 64 KiB keeps stream buffers small).
    static constexpr std::size_t max_size = 64 * 1024;

    /// Starts a transport on `sock` for `protocol`: connection_made(), then the first reader
    /// registration, then `made` (if given) are scheduled with call_soon, so the protocol knows its
    /// transport before any data comes. `attachment` (a server's count) goes after connection_lost().
    static std::shared_ptr<SocketTransport> start(EventLoop& loop, UniqueFd sock, std::shared_ptr<Protocol> protocol,
                                                  std::optional<Future<void>> made = std::nullopt,
                                                  std::shared_ptr<void> attachment = nullptr) {
        if (!protocol) throw std::invalid_argument("SocketTransport needs a protocol");
        auto t = std::shared_ptr<SocketTransport>(new SocketTransport(loop, std::move(sock), std::move(protocol)));
        t->self_ = t;   // alive until connection_lost (see the file comment)
        t->attachment_ = std::move(attachment);
        loop.call_soon([h = t->hold()] { if (h.t->protocol_) h.t->protocol_->connection_made(*h.t); }, "connection_made");
        loop.call_soon([h = t->hold()] { h.t->start_reading(); }, "transport start reading");
        if (made) loop.call_soon([f = *made] { if (!f.done()) f.set_result(); }, "transport made");
        return t;
    }
    SocketTransport(const SocketTransport&) = delete;
    SocketTransport& operator=(const SocketTransport&) = delete;

    void write(std::string_view data) override {
        if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
        if (data.empty()) return;
        if (conn_lost_) return;   // too late: asyncio drops it too
        if (buffer_.empty()) {    // the usual case: try at once, maybe all of it goes
            const ssize_t n = ::send(sock_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && failed("send")) return;
            if (n > 0) data.remove_prefix(static_cast<std::size_t>(n));
            if (data.empty()) return;
            start_writing();
        }
        buffer_.append(data);
        flow_.after_growth(buffer_.size(), protocol_.get(), loop_, fd());
    }
    void write_eof() override {
        if (closing_ || eof_) return;
        eof_ = true;
        if (buffer_.empty()) ::shutdown(sock_.get(), SHUT_WR);
    }
    void close() override {
        if (closing_) return;
        closing_ = true;
        stop_reading();
        if (!buffer_.empty()) {   // the writer callback finishes the job, and holds us meanwhile
            self_.reset();
            return;
        }
        conn_lost_ = true;
        stop_writing();
        schedule_connection_lost(nullptr);
    }
    void abort() override { force_close(nullptr); }
    void pause_reading() override {
        if (!is_reading()) return;
        paused_ = true;
        stop_reading();
    }
    void resume_reading() override {
        if (closing_ || !paused_) return;
        paused_ = false;
        start_reading();
    }
    [[nodiscard]] bool is_reading() const override { return !closing_ && !paused_; }
    [[nodiscard]] bool is_closing() const override { return closing_; }
    [[nodiscard]] std::size_t get_write_buffer_size() const override { return buffer_.size(); }
    void set_write_buffer_limits(std::size_t high, std::optional<std::size_t> low = std::nullopt) override {
        flow_.set_limits(high, low);
        flow_.after_growth(buffer_.size(), protocol_.get(), loop_, fd());
    }
    /// The socket's fd (-1 once closed): for messages and tests.
    [[nodiscard]] int fd() const { return sock_ ? sock_.get() : -1; }

private:
    SocketTransport(EventLoop& loop, UniqueFd sock, std::shared_ptr<Protocol> protocol)
        : loop_(loop), sock_(std::move(sock)), protocol_(std::move(protocol)) {}

    // What each of our loop callbacks holds: the transport, and the duty to let go of it should a
    // closing loop drop the callback unrun (a closed loop runs nothing, so nobody else would).
    struct Hold {
        std::shared_ptr<SocketTransport> t;
        explicit Hold(std::shared_ptr<SocketTransport> transport) : t(std::move(transport)) {}
        Hold(const Hold&) = default;
        Hold& operator=(const Hold&) = delete;
        ~Hold() {
            if (t && t->loop_.is_closed()) t->release();
        }
    };
    Hold hold() { return Hold(std::static_pointer_cast<SocketTransport>(shared_from_this())); }

    void start_reading() {
        if (reader_on_ || !is_reading() || conn_lost_ || loop_.is_closed()) return;
        loop_.add_reader(sock_.get(), [h = hold()] { h.t->on_readable(); }, "transport reader");
        reader_on_ = true;
    }
    void stop_reading() {
        if (!reader_on_) return;
        reader_on_ = false;
        loop_.remove_reader(sock_.get());
    }
    void start_writing() {
        if (writer_on_ || loop_.is_closed()) return;
        loop_.add_writer(sock_.get(), [h = hold()] { h.t->on_writable(); }, "transport writer");
        writer_on_ = true;
    }
    void stop_writing() {
        if (!writer_on_) return;
        writer_on_ = false;
        loop_.remove_writer(sock_.get());
    }

    // Readable: one recv() per turn, so every connection gets its turn; the chunk is pushed at once.
    void on_readable() {
        if (conn_lost_) return;
        const std::span<char> scratch = detail::recv_scratch();
        const ssize_t got = ::recv(sock_.get(), scratch.data(), std::min(max_size, scratch.size()), 0);
        if (got < 0) {
            failed("recv");   // or a spurious wake-up: then next turn
            return;
        }
        if (got == 0) {
            on_eof();
            return;
        }
        try {
            protocol_->data_received(std::string_view(scratch.data(), static_cast<std::size_t>(got)));
        } catch (...) {   // a bug in the protocol ends its connection, reported (not an OS error)
            protocol_failed("Fatal error: protocol.data_received() call failed.");
        }
    }

    // End of file: the protocol decides between half-close (keep writing) and close.
    void on_eof() {
        bool keep_open = false;
        try {
            keep_open = protocol_->eof_received();
        } catch (...) {
            protocol_failed("Fatal error: protocol.eof_received() call failed.");
            return;
        }
        if (keep_open) {
            stop_reading();   // nothing more will come; writing goes on
        } else {
            close();
        }
    }

    // Writable: send from the buffer; the protocol may write again below the low-water mark.
    void on_writable() {
        if (conn_lost_) return;
        const ssize_t n = ::send(sock_.get(), buffer_.data(), buffer_.size(), MSG_NOSIGNAL);
        if (n < 0) {
            failed("send");   // a real error drops the buffer
            return;
        }
        buffer_.erase(0, static_cast<std::size_t>(n));
        flow_.after_drain(buffer_.size(), protocol_.get(), loop_, fd());   // the protocol may write more
        if (!buffer_.empty()) return;
        stop_writing();
        if (closing_) {
            conn_lost_ = true;
            call_connection_lost(nullptr);   // directly, as asyncio does after a flush
        } else if (eof_) {
            ::shutdown(sock_.get(), SHUT_WR);
        }
    }

    // After a send() or recv() that returned -1: "not yet" (EINTR, EAGAIN) changes nothing and
    // returns false; a real error is the peer's doing and ends the connection (returns true).
    bool failed(const char* call) {
        const int error = errno;
        if (error == EINTR || detail::would_block(error)) return false;
        force_close(detail::os_error(error, detail::call_on(call, sock_.get())));
        return true;
    }

    // A protocol callback threw: a bug, so reported (see Errors in the file comment), and it ends.
    void protocol_failed(const char* message) {
        loop_.call_exception_handler({message, std::current_exception(), label()});
        force_close(std::current_exception());
    }

    void force_close(std::exception_ptr error) {
        if (conn_lost_) return;
        buffer_.clear();
        stop_writing();
        closing_ = true;
        stop_reading();
        conn_lost_ = true;
        schedule_connection_lost(std::move(error));
    }

    // connection_lost runs in a callback of its own, never inside the caller's close() or write().
    // The pending callback holds the transport, so a loop that closes first frees it.
    void schedule_connection_lost(std::exception_ptr error) {
        Hold h = hold();
        self_.reset();
        if (loop_.is_closed()) return;   // nobody will run callbacks any more: `h` lets go, silently
        loop_.call_soon([h, error] { h.t->call_connection_lost(error); }, "connection_lost");
    }

    void call_connection_lost(std::exception_ptr error) {
        const Hold keep = hold();   // whatever happens below
        struct Release {
            SocketTransport* t;
            ~Release() { t->release(); }   // even if connection_lost throws (the loop reports it)
        } release_after{this};
        if (protocol_) protocol_->connection_lost(std::move(error));
    }

    // The end: the socket closes, the protocol and the server attachment go.
    void release() {
        sock_.reset();
        protocol_.reset();
        attachment_.reset();
        self_.reset();
    }

    std::string label() const { return "transport on fd " + std::to_string(sock_ ? sock_.get() : -1); }

    EventLoop& loop_;
    UniqueFd sock_;
    std::shared_ptr<Protocol> protocol_;
    std::shared_ptr<SocketTransport> self_;   // see the file comment: Ownership
    std::shared_ptr<void> attachment_;
    std::string buffer_;                      // written, not sent yet
    WriteFlowControl flow_;                   // its water marks
    bool reader_on_ = false, writer_on_ = false;   // our registrations, so we never remove another's
    bool paused_ = false;            // pause_reading()
    bool closing_ = false;           // close(), abort() or an error
    bool eof_ = false;               // write_eof()
    bool conn_lost_ = false;         // connection_lost is scheduled (or done)
};

} // namespace looplab::stage08

