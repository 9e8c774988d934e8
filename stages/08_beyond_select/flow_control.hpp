/// @file
/// @brief WriteFlowControl: the water marks that tell a protocol when to stop writing and when to go
/// on (asyncio's _FlowControlMixin in transports.py).
///
/// **What this file adds.** A transport's write() never waits: what the socket does not take goes
/// into a buffer, which could grow without end if the protocol kept writing to a slow peer. So the
/// transport watches the buffer's size against two marks and tells its protocol when it crosses them:
/// ```
///   buffer grows past the high-water mark (64 KiB)   -->  protocol.pause_writing()
///   buffer drains to the low-water mark (16 KiB)      -->  protocol.resume_writing()
/// ```
/// once per crossing, never twice in a row. Two marks instead of one, so that a buffer hovering
/// around a single threshold does not make the protocol flip on every send(). The protocol is
/// trusted to listen: nothing stops a write() after pause_writing(). StreamWriter.drain() (streams.hpp)
/// is this same pair of calls, seen from a coroutine.
///
/// **What it leaves out.** The read side's flow control, which is simpler: pause_reading() takes the
/// reader off the loop, and TCP makes the sender wait (transports.hpp).
///
/// **What it costs.** Two comparisons per write and per send; a virtual call per crossing.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include "event_loop.hpp"
#include "protocols.hpp"

namespace looplab::inline stage08 {

/// The write buffer's two water marks and which side of them the protocol was last told about.
class WriteFlowControl {
public:
    /// asyncio's default high-water mark.
    static constexpr std::size_t default_high_water = 64 * 1024;
    /// asyncio's default low-water mark: a quarter of the high one.
    static constexpr std::size_t default_low_water = default_high_water / 4;

    /// Sets the marks; `low` defaults to high / 4. A low mark above the high one is an error.
    void set_limits(std::size_t high, std::optional<std::size_t> low) {
        const std::size_t l = low.value_or(high / 4);
        if (l > high) throw std::invalid_argument("set_write_buffer_limits: low must not exceed high");
        high_ = high;
        low_ = l;
    }

    /// After the buffer grew to `buffered` bytes: pause_writing() if it just passed the high mark.
    void after_growth(std::size_t buffered, Protocol* protocol, EventLoop& loop, int fd) {
        if (buffered > high_ && !paused_) tell(true, protocol, loop, fd);
    }
    /// After the buffer drained to `buffered` bytes: resume_writing() if it just reached the low mark.
    void after_drain(std::size_t buffered, Protocol* protocol, EventLoop& loop, int fd) {
        if (buffered <= low_ && paused_) tell(false, protocol, loop, fd);
    }

private:
    // An exception from the protocol here is reported and the connection goes on, as in asyncio.
    void tell(bool pause, Protocol* protocol, EventLoop& loop, int fd) {
        paused_ = pause;
        if (protocol == nullptr) return;
        try {
            pause ? protocol->pause_writing() : protocol->resume_writing();
        } catch (...) {
            loop.call_exception_handler({pause ? "protocol.pause_writing() failed" : "protocol.resume_writing() failed",
                                         std::current_exception(), "transport on fd " + std::to_string(fd)});
        }
    }

    std::size_t high_ = default_high_water;
    std::size_t low_ = default_low_water;
    bool paused_ = false;   // pause_writing() was called, resume_writing() not yet
};

} // namespace looplab::stage08
