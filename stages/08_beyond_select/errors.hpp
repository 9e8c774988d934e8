/// @file
/// @brief The exceptions of stage 05, named as asyncio names them, and the loop's error reports.
///
/// **What this file adds.** CancelledError, InvalidStateError, RuntimeError, and the ErrorContext the
/// loop's exception handler gets for an error nobody can be handed (the default handler prints it).
/// CancelledError is not a std::exception (in Python it is a BaseException), so that
/// `catch (const std::exception&)` lets a cancellation pass.
///
/// **What it leaves out.** The errors only the toolkit raises (toolkit_errors.hpp, from stage 06 on).
/// **What it costs.** Nothing until thrown; then an allocation and the unwinder, so the loop never
/// throws for control flow.
#pragma once

#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace looplab::inline stage08 {

/// A task or future was cancelled. Not a std::exception (see the file comment).
class CancelledError {
public:
    /// A cancellation, with the optional message passed to cancel().
    explicit CancelledError(std::string message = {}) : message_(std::move(message)) {}
    [[nodiscard]] const std::string& message() const noexcept { return message_; }   ///< The message, or empty.
    /// "CancelledError", or "CancelledError: message".
    [[nodiscard]] std::string what() const { return message_.empty() ? "CancelledError" : "CancelledError: " + message_; }
private:
    std::string message_;
};

/// A Future was used in a state that does not allow it: its result read while pending, or set twice.
struct InvalidStateError : std::logic_error { using std::logic_error::logic_error; };

/// Misuse that Python reports as RuntimeError: running a loop twice or after close, a task awaiting itself.
struct RuntimeError : std::runtime_error { using std::runtime_error::runtime_error; };

/// The message of the CancelledError that `error` holds; nullopt when it holds something else.
inline std::optional<std::string> cancellation_message(const std::exception_ptr& error) {
    if (!error) return std::nullopt;
    try { std::rethrow_exception(error); }
    catch (const CancelledError& e) { return e.message(); }
    catch (...) { return std::nullopt; }
}

/// True when `error` holds a CancelledError.
inline bool is_cancellation(const std::exception_ptr& error) { return cancellation_message(error).has_value(); }

/// One line describing `error` for reports: what() of a std::exception or CancelledError, else "unknown exception".
inline std::string describe(const std::exception_ptr& error) {
    if (!error) return "no exception";
    try { std::rethrow_exception(error); }
    catch (const CancelledError& e) { return e.what(); }
    catch (const std::exception& e) { return e.what(); }
    catch (...) { return "unknown exception"; }
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
        if (handler) return handler(ctx);
        std::cerr << "looplab: " << format_report(ctx) << '\n';
    }
};
} // namespace detail

} // namespace looplab::stage08
