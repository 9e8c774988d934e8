/// @file
/// @brief The exceptions only the toolkit raises: TimeoutError (timeout.hpp, wait_for.hpp), QueueFull
/// and QueueEmpty (queue.hpp).
///
/// **What this file adds.** asyncio's names for a deadline that passed and for what can go wrong in a
/// Queue's `_nowait` forms. They live apart from errors.hpp because the core (stage 05) never raises
/// them; stage 07 adds the streams' errors here.
///
/// **What it leaves out.** BrokenBarrierError: looplab has no Barrier. **What it costs.** Nothing until
/// thrown.
#pragma once

#include <stdexcept>
#include <string>

namespace looplab::inline stage06 {

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

} // namespace looplab::stage06
