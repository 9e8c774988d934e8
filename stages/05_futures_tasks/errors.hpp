/// @file
/// @brief The exceptions of stage 05, named as asyncio names them, so a student can catch them by name.
///
/// **What this file adds.** asyncio reports its failures with a handful of exception classes. Here they
/// are, one C++ type each: CancelledError (a task was asked to stop), TimeoutError (wait_for ran out of
/// time), InvalidStateError (a Future was asked for a result it does not have yet, or set twice) and
/// RuntimeError (misuse of the loop: running it twice, using it after close, awaiting a task from
/// itself). The toolkit's own (QueueFull, the streams' errors) are in toolkit_errors.hpp.
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
/// **What it leaves out.** asyncio's SendfileNotAvailableError, whose feature looplab does not have.
///
/// **What it costs.** Nothing until thrown; a thrown exception costs what C++ exceptions cost (a heap
/// allocation and the unwinder), which is why the loop never uses them for ordinary control flow.
#pragma once

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

/// Misuse that Python reports as RuntimeError: running a loop that is already running or closed,
/// awaiting a task from inside itself, releasing a Lock nobody holds.
class RuntimeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The message of the CancelledError that `error` holds; nullopt when it holds something else.
inline std::optional<std::string> cancellation_message(const std::exception_ptr& error) {
    if (!error) return std::nullopt;
    try {
        std::rethrow_exception(error);
    } catch (const CancelledError& e) {
        return e.message();
    } catch (...) {
        return std::nullopt;
    }
}

/// True when `error` holds a CancelledError.
inline bool is_cancellation(const std::exception_ptr& error) { return cancellation_message(error).has_value(); }

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
