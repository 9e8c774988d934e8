/// @file
/// @brief The exceptions of stage 05, named as asyncio names them, so a student can catch them by name.
///
/// **What this file adds.** asyncio reports its failures with a handful of exception classes. Here they
/// are, one C++ type each: CancelledError (a task was asked to stop), TimeoutError (wait_for ran out of
/// time), InvalidStateError (a Future was asked for a result it does not have yet, or set twice),
/// QueueFull and QueueEmpty (the `_nowait` forms of Queue could not proceed) and RuntimeError (misuse
/// of the loop: running it twice, using it after close, awaiting a task from itself).
///
/// **Who hears an error nobody catches.** The loop's exception handler: an ErrorContext (message,
/// exception, source) for every exception that escapes a callback and every report of a future or
/// task ("Task exception was never retrieved"). The default handler prints to stderr; tests install
/// one that records.
///
/// **Why CancelledError is not a std::exception.** Since Python 3.8, CancelledError derives from
/// BaseException, not Exception, so the everyday `except Exception:` does not swallow a cancellation
/// by accident. The C++ equivalent of `except Exception` is `catch (const std::exception&)`, so
/// CancelledError deliberately does *not* derive from std::exception: a handler for ordinary errors
/// lets a cancellation pass through to the task, which then ends cancelled, as the caller asked.
/// Catch it by name (`catch (const CancelledError&)`) when you really mean to.
///
/// Streams add two of their own: IncompleteReadError (the stream ended before readexactly() or
/// readuntil() got what it asked for; it carries the bytes that did arrive) and LimitOverrunError
/// (readuntil() found no separator within the reader's limit).
///
/// **What it leaves out.** asyncio's SendfileNotAvailableError and BrokenBarrierError, whose features
/// looplab does not have.
///
/// **What it costs.** Nothing until thrown; a thrown exception costs what C++ exceptions cost (a heap
/// allocation and the unwinder), which is why the loop never uses them for ordinary control flow.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace looplab::inline stage05 {

/// A task or future was cancelled. Deliberately *not* derived from std::exception (see the file
/// comment): `catch (const std::exception&)` lets it pass.
class CancelledError {
public:
    /// A cancellation, with the optional message passed to cancel().
    explicit CancelledError(std::string message = {}) : message_(std::move(message)) {}
    /// The message given to cancel(), or empty.
    [[nodiscard]] const std::string& message() const noexcept { return message_; }
    /// "CancelledError", or "CancelledError: message".
    [[nodiscard]] std::string what() const { return message_.empty() ? "CancelledError" : "CancelledError: " + message_; }

private:
    std::string message_;
};

/// An operation ran out of time (wait_for). Python's built-in TimeoutError.
class TimeoutError : public std::runtime_error {
public:
    /// A timeout with an explanation.
    explicit TimeoutError(const std::string& what = "timed out") : std::runtime_error(what) {}
};

/// A Future was used in a state that does not allow it: its result read while pending, or set twice.
class InvalidStateError : public std::logic_error {
public:
    using std::logic_error::logic_error;
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

/// Misuse that Python reports as RuntimeError: running a loop that is already running or closed,
/// awaiting a task from inside itself, releasing a Lock nobody holds.
class RuntimeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// True when `error` holds a CancelledError.
inline bool is_cancellation(const std::exception_ptr& error) {
    if (!error) return false;
    try {
        std::rethrow_exception(error);
    } catch (const CancelledError&) {
        return true;
    } catch (...) {
        return false;
    }
}

/// One line describing `error` for reports and transcripts: what() of a std::exception,
/// "CancelledError" for a cancellation, "unknown exception" otherwise.
inline std::string describe(const std::exception_ptr& error) {
    if (!error) return "no exception";
    try {
        std::rethrow_exception(error);
    } catch (const CancelledError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

/// What the exception handler is told.
struct ErrorContext {
    std::string message;           ///< e.g. "Exception in callback tick", "Task was destroyed but it is pending!"
    std::exception_ptr exception;  ///< the exception, when there is one
    std::string source;            ///< the callback, future or task concerned (its name)
};

/// Receives every error the loop cannot hand to anyone else.
using ExceptionHandler = std::function<void(const ErrorContext&)>;

/// Formats a report as the default handler prints it: "message (source): exception".
inline std::string format_report(const ErrorContext& ctx) {
    std::string s = ctx.message;
    if (!ctx.source.empty()) s += " (" + ctx.source + ")";
    if (ctx.exception) s += ": " + describe(ctx.exception);
    return s;
}

namespace detail {
/// The report sink. Shared, not owned by the loop alone, because a Future may die after its loop
/// and must still be able to say "exception was never retrieved".
struct Reporter {
    ExceptionHandler handler;
    void report(const ErrorContext& ctx) const {
        if (handler) {
            handler(ctx);
        } else {
            std::cerr << "looplab: " << format_report(ctx) << '\n';
        }
    }
};
} // namespace detail

} // namespace looplab::stage05
