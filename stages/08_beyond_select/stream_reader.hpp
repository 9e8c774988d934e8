/// @file
/// @brief StreamReader: a buffer that a protocol pushes chunks into and a coroutine pulls lines,
/// exact sizes or everything out of (read, readline, readexactly, readuntil).
///
/// **What this file adds.** A protocol's data_received() gets whatever TCP delivered: half a line,
/// three lines and a bit. Programs want lines, or exactly 4 bytes of header. The StreamReader is
/// where the two meet: the push side appends (feed_data, feed_eof, set_exception); readline() and
/// friends take from the buffer and wait, on one Future, only when it does not hold what they need
/// yet (C46, C48). It knows nothing of sockets: streams.hpp's StreamReaderProtocol feeds it, a test
/// may feed it by hand.
/// ```
///  transport --data_received--> StreamReaderProtocol --feed_data--> buffer --readline()--> coroutine
///                                                      (wakes the one waiter)
/// ```
///
/// **Bounded memory.** A reader whose buffer passes twice its limit calls its transport's
/// pause_reading() until the coroutine has taken it back to the limit (or waits for more), then
/// resume_reading(): the kernel's buffers fill and TCP makes the sender wait (asyncio's flow control).
///
/// **The limit** (64 KiB unless told otherwise) bounds a line: readuntil() raises LimitOverrunError
/// when the separator is not within `limit` bytes, and readline() turns that into
/// std::invalid_argument (asyncio's ValueError) after dropping the overlong line (C47).
///
/// **End of file and errors.** End of file is not an error: read() returns "", readline() the last
/// partial line or "", readexactly() raises IncompleteReadError holding what did arrive (C48). An
/// error (set_exception: a reset) is raised by every read from then on, even with bytes buffered.
///
/// **What it leaves out.** readuntil with several separators, async iteration over lines.
///
/// **What it costs.** Each chunk is copied once into the buffer and once out of it (take() erases
/// from the front of a std::string: O(buffer) per call; production code keeps a read offset or a
/// ring). Each wait for data is one Future.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "coroutine.hpp"
#include "errors.hpp"
#include "event_loop.hpp"
#include "flow_control.hpp"
#include "future.hpp"
#include "protocols.hpp"
#include "toolkit_errors.hpp"
#include "transports.hpp"

namespace looplab::inline stage08 {

/// A reader's default limit, as asyncio's: 64 KiB.
inline constexpr std::size_t default_stream_limit = 64 * 1024;

namespace detail {

/// A StreamReader's buffer, waiter and flags, shared by its handles and the protocol that feeds it.
class StreamState {
public:
    /// The writer's high-water mark (the transport's default), under the name it had before streams
    /// were built on transports.
    static constexpr std::size_t high_water = WriteFlowControl::default_high_water;

    /// An empty reader; `limit` bounds a line.
    explicit StreamState(std::size_t limit) : limit_(limit) {
        if (limit == 0) throw std::invalid_argument("a stream's limit must be positive");
    }
    StreamState(const StreamState&) = delete;
    StreamState& operator=(const StreamState&) = delete;

    std::size_t limit() const { return limit_; }
    bool eof() const { return eof_; }
    std::size_t buffered() const { return buffer_.size(); }
    const std::string& buffer() const { return buffer_; }
    const std::exception_ptr& read_error() const { return error_; }
    bool reading_paused() const { return paused_; }

    /// The transport to pause and resume (connection_made). Without one, nothing is paused.
    void set_transport(std::shared_ptr<Transport> transport) { transport_ = std::move(transport); }

    /// Appends `data` and wakes a waiting reader; pauses the transport past 2 x limit.
    void feed_data(std::string_view data) {
        if (eof_) throw InvalidStateError("feed_data() after feed_eof()");
        if (data.empty()) return;
        buffer_.append(data);
        wake_reader();
        if (transport_ && !paused_ && buffer_.size() > 2 * limit_) {
            paused_ = true;   // flow control: let the kernel's buffers (and then the sender) wait
            transport_->pause_reading();
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
    /// Takes the first `n` buffered bytes; resumes reading once back at the limit.
    std::string take(std::size_t n) {
        std::string out;
        if (n >= buffer_.size()) {
            out.swap(buffer_);   // all of it: no copy
        } else {
            out = buffer_.substr(0, n);
            buffer_.erase(0, n);
        }
        if (paused_ && buffer_.size() <= limit_) resume();
        return out;
    }

    /// Waits until feed_data, feed_eof or an error; one waiter at a time, as in asyncio.
    static Coroutine<void> wait_for_data(std::shared_ptr<StreamState> self, const char* func) {
        if (self->waiter_)
            throw RuntimeError(std::string(func) + "() called while another coroutine is already waiting for incoming data");
        if (self->paused_) self->resume();   // the caller wants more than the paused buffer: read again
        Future<void> waiter(get_running_loop(), func);   // short names: no allocation for the name
        self->waiter_ = waiter;
        struct Clear {
            StreamState* s;
            ~Clear() { s->waiter_.reset(); }
        } clear{self.get()};
        co_await waiter;
    }

private:
    void wake_reader() {
        if (waiter_ && !waiter_->done()) waiter_->set_result();
    }
    void resume() {
        paused_ = false;
        transport_->resume_reading();
    }

    std::size_t limit_;
    std::string buffer_;
    bool eof_ = false;
    std::exception_ptr error_;
    std::optional<Future<void>> waiter_;
    std::shared_ptr<Transport> transport_;
    bool paused_ = false;
};

/// What the StreamReader and StreamWriter of one connection share: when the last of them goes, the
/// connection is closed as close() closes it (what is buffered is still sent). A hand-fed reader
/// has neither transport nor protocol.
struct StreamOwner {
    std::shared_ptr<StreamState> reader;      ///< the buffer
    std::shared_ptr<Transport> transport;     ///< the connection, or null
    std::shared_ptr<Protocol> protocol;       ///< its StreamReaderProtocol (streams.hpp), or null
    bool close_called = false;                ///< StreamWriter::close() was called
    /// Owns a reader, and the connection if there is one.
    StreamOwner(std::shared_ptr<StreamState> r, std::shared_ptr<Transport> t, std::shared_ptr<Protocol> p)
        : reader(std::move(r)), transport(std::move(t)), protocol(std::move(p)) {}
    StreamOwner(const StreamOwner&) = delete;
    StreamOwner& operator=(const StreamOwner&) = delete;
    /// Closes the connection gracefully.
    ~StreamOwner() {
        if (transport) transport->close();
    }
};

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
        : owner_(std::make_shared<detail::StreamOwner>(std::make_shared<detail::StreamState>(limit), nullptr, nullptr)) {}
    /// A reader on an existing connection (make_streams, open_connection and start_server make these).
    explicit StreamReader(std::shared_ptr<detail::StreamOwner> owner) : owner_(std::move(owner)) {}

    /// Up to `n` bytes: as soon as at least one byte is there (C48). `n` 0: "" at once. `n` < 0:
    /// everything until the end of the stream.
    [[nodiscard]] Coroutine<std::string> read(long n = -1) const { return read_impl(owner_->reader, n); }
    /// One line, with its "\n"; at the end of the stream the partial last line, then "" (C46). A
    /// line longer than the limit raises std::invalid_argument and is dropped (C47).
    [[nodiscard]] Coroutine<std::string> readline() const { return readline_impl(owner_->reader); }
    /// Everything up to and including `separator`. LimitOverrunError when it is not within the
    /// limit (the bytes stay buffered); IncompleteReadError (with the bytes) at the end of the stream.
    [[nodiscard]] Coroutine<std::string> readuntil(std::string separator = "\n") const {
        return detail::read_until(owner_->reader, std::move(separator));
    }
    /// Exactly `n` bytes; IncompleteReadError holding the partial data if the stream ends first (C48).
    [[nodiscard]] Coroutine<std::string> readexactly(std::size_t n) const { return readexactly_impl(owner_->reader, n); }

    /// Appends bytes, as the StreamReaderProtocol does with each chunk.
    void feed_data(std::string_view data) const { owner_->reader->feed_data(data); }
    /// Marks the end of the stream.
    void feed_eof() const { owner_->reader->feed_eof(); }
    /// Fails every read from now on with `error`.
    void set_exception(std::exception_ptr error) const { owner_->reader->set_exception(std::move(error)); }
    /// The stored error, or null.
    [[nodiscard]] std::exception_ptr exception() const { return owner_->reader->read_error(); }
    /// True when the stream has ended and the buffer is empty.
    [[nodiscard]] bool at_eof() const { return owner_->reader->eof() && owner_->reader->buffered() == 0; }
    /// The limit of a line (readuntil, readline).
    [[nodiscard]] std::size_t limit() const { return owner_->reader->limit(); }
    /// Bytes received and not read yet.
    [[nodiscard]] std::size_t buffered() const { return owner_->reader->buffered(); }
    /// True while flow control has stopped reading from the socket (the buffer holds over 2 x limit).
    [[nodiscard]] bool reading_paused() const { return owner_->reader->reading_paused(); }

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

} // namespace looplab::stage08
