/// @file
/// @brief Protocol and Transport: the push side of networking, as two interfaces. The loop pushes
/// each chunk that arrives into a Protocol's data_received(); the protocol writes through its
/// Transport. transports.hpp implements a Transport on a socket; servers.hpp makes connections.
///
/// **What this file adds.** sockets.hpp lets a coroutine *pull*: `co_await sock_recv()` asks for
/// bytes and waits. Underneath, the loop works the other way round: select() says "readable", a
/// callback runs, and the bytes must go *somewhere* now. asyncio names both ends of that push:
///  - a **Transport** owns the socket and the loop registrations. It recv()s and hands each chunk
///    on; write() sends what fits at once and buffers the rest. The program never calls send() or
///    recv() itself;
///  - a **Protocol** is the program's half: callbacks the transport calls, in this order, each
///    from a loop callback of its own (never from inside the program's own call to the transport):
/// ```
///  connection_made(transport)       once, first
///  data_received(chunk)             zero or more times, chunks in order, cut wherever TCP cut them
///  eof_received()                   at most once: the peer sent end of file; return true to keep
///                                   the transport open for writing (half-close), false to close it
///  connection_lost(error or null)   exactly once, last: null after close(), abort() or end of
///                                   file; the error after a reset or a failed send
///  pause_writing / resume_writing   the write buffer crossed the high / low water mark
/// ```
/// No coroutine and no Future: a protocol is a state machine that the loop drives, stage 01's
/// hand-written resumable function once more. That is fast and explicit, and awkward for a program
/// that wants "the next line": streams.hpp builds that pull side back on top.
///
/// **What it leaves out.** asyncio's BaseTransport/ReadTransport/WriteTransport split (one
/// interface here), BufferedProtocol (get_buffer), DatagramProtocol, SubprocessProtocol,
/// writelines, can_write_eof, get_extra_info and get_protocol/set_protocol.
///
/// **What it costs.** Two virtual calls' worth of indirection per chunk; nothing else: these are
/// interfaces.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>

namespace looplab::inline stage08 {

class Transport;

/// The program's half of a connection: callbacks a transport calls (see the file comment for their
/// order). Every method has a default that does nothing, as asyncio's Protocol has, so a protocol
/// overrides only what it needs.
class Protocol {
public:
    virtual ~Protocol() = default;
    /// The connection is up; `transport` is how to write. Called once, before anything else.
    virtual void connection_made(Transport& transport) { (void)transport; }
    /// A chunk arrived. `data` is lent for this call only: copy what you keep.
    virtual void data_received(std::string_view data) { (void)data; }
    /// The peer sent end of file. Return true to keep the transport open for writing (half-close),
    /// false to let the transport close itself (the default).
    virtual bool eof_received() { return false; }
    /// The connection is over: null after close(), abort() or end of file, else the error. Last call.
    virtual void connection_lost(std::exception_ptr error) { (void)error; }
    /// The write buffer went above the high-water mark: stop writing for a while.
    virtual void pause_writing() {}
    /// The write buffer drained to the low-water mark: write again.
    virtual void resume_writing() {}
};

/// What a protocol may ask of its connection. Abstract, as asyncio's transports.py is: stage 08's
/// other selectors and later a completion-based loop give the same interface other insides.
class Transport : public std::enable_shared_from_this<Transport> {
public:
    virtual ~Transport() = default;
    /// Sends `data` now if the socket takes it, else buffers it; never waits. RuntimeError after
    /// write_eof(); dropped once the connection is lost (or its close is under way with nothing left
    /// to send, as in asyncio).
    virtual void write(std::string_view data) = 0;
    /// Shuts down the sending side once the buffer is sent: the peer reads end of file.
    virtual void write_eof() = 0;
    /// Stops reading, sends what is buffered, then closes: connection_lost(null) follows.
    virtual void close() = 0;
    /// Closes at once, dropping the buffer: connection_lost(null) follows.
    virtual void abort() = 0;
    /// Stops calling data_received until resume_reading().
    virtual void pause_reading() = 0;
    /// Calls data_received again after pause_reading().
    virtual void resume_reading() = 0;
    /// True while data_received may be called: not paused, not closing.
    [[nodiscard]] virtual bool is_reading() const = 0;
    /// True once close() or abort() was called, or the connection failed.
    [[nodiscard]] virtual bool is_closing() const = 0;
    /// Bytes written and not sent yet.
    [[nodiscard]] virtual std::size_t get_write_buffer_size() const = 0;
    /// The water marks of pause_writing/resume_writing; `low` defaults to high / 4.
    virtual void set_write_buffer_limits(std::size_t high, std::optional<std::size_t> low = std::nullopt) = 0;
};


} // namespace looplab::stage08
