/// @file
/// @brief The exceptions only the toolkit raises: TimeoutError (timeout.hpp, wait_for.hpp), QueueFull
/// and QueueEmpty (queue.hpp), and the streams' IncompleteReadError and LimitOverrunError (streams.hpp).
///
/// **What this file adds.** asyncio's names for a deadline that passed and for what can go wrong in a
/// Queue's `_nowait` forms (stage 06) and, new in this stage, in a StreamReader. They live apart from errors.hpp because the
/// core (stage 05) never raises them.
///
/// IncompleteReadError: the stream ended before readexactly() or readuntil() got what it asked for;
/// it carries the bytes that did arrive. LimitOverrunError: readuntil() found no separator within the
/// reader's limit.
///
/// **What it leaves out.** BrokenBarrierError: looplab has no Barrier. **What it costs.** Nothing until
/// thrown.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace looplab::inline stage08 {

/// An operation ran out of time (timeout(), wait_for). Python's built-in TimeoutError.
struct TimeoutError : std::runtime_error {
    /// A timeout with an explanation.
    explicit TimeoutError(const std::string& what = "timed out") : std::runtime_error(what) {}
};

/// Queue::put_nowait() on a full queue.
class QueueFull : public std::runtime_error {
public:
    /// The queue was full.
    QueueFull() : std::runtime_error("QueueFull: the queue is full") {}
};

/// Queue::get_nowait() on an empty queue.
class QueueEmpty : public std::runtime_error {
public:
    /// The queue was empty.
    QueueEmpty() : std::runtime_error("QueueEmpty: the queue is empty") {}
};

/// The stream ended before readexactly() or readuntil() got what it asked for. Like asyncio's, it
/// holds what did arrive (`partial()`) and how much was expected (none for readuntil()).
class IncompleteReadError : public std::runtime_error {
public:
    /// `partial` arrived; `expected` bytes were asked for (nullopt: "up to a separator").
    IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
        : std::runtime_error(std::to_string(partial.size()) + " bytes read on a total of " +
                             (expected ? std::to_string(*expected) : std::string("undefined")) + " expected bytes"),
          partial_(std::move(partial)), expected_(expected) {}
    /// The bytes that arrived before the end of the stream.
    [[nodiscard]] const std::string& partial() const noexcept { return partial_; }
    /// How many bytes were asked for; nullopt for readuntil().
    [[nodiscard]] std::optional<std::size_t> expected() const noexcept { return expected_; }

private:
    std::string partial_;
    std::optional<std::size_t> expected_;
};

/// readuntil() read more than the reader's limit without finding the separator, or found it too far
/// away. The bytes stay in the buffer; `consumed()` says how many would have to be skipped.
class LimitOverrunError : public std::runtime_error {
public:
    /// An overrun; `consumed` bytes are in the way.
    LimitOverrunError(const std::string& message, std::size_t consumed)
        : std::runtime_error(message), consumed_(consumed) {}
    /// How many bytes the reader looked at (asyncio's `consumed`).
    [[nodiscard]] std::size_t consumed() const noexcept { return consumed_; }

private:
    std::size_t consumed_;
};

} // namespace looplab::stage08
