/// @file
/// @brief When to colour output, and the few ANSI styles looplab uses.
///
/// Colour helps a student tell tasks apart in an interleaved run, but it must never leak into a file
/// or a pipe (golden transcripts, `| less`), and it must respect the user's NO_COLOR wish
/// (https://no-color.org: any non-empty NO_COLOR turns colour off unless asked for explicitly).
#pragma once

#include <string>
#include <string_view>

namespace looplab {

/// The three answers to `--color`.
enum class ColorMode { Auto, Always, Never };

/// Parses "auto", "always" or "never"; throws std::invalid_argument for anything else.
ColorMode parse_color_mode(std::string_view text);

/// Decides whether to colour output written to `fd`. Auto means: fd is a terminal and NO_COLOR is
/// unset or empty. Always and Never are taken at their word.
bool should_color(ColorMode mode, int fd);

/// ANSI SGR codes, applied only when colour is on. Plain text is returned untouched otherwise.
class Painter {
public:
    /// A painter that colours when `enabled`.
    explicit Painter(bool enabled) : enabled_(enabled) {}
    /// Whether this painter emits escape codes at all.
    [[nodiscard]] bool enabled() const { return enabled_; }
    /// `text` in bold.
    [[nodiscard]] std::string bold(std::string_view text) const;
    /// `text` dimmed (for the trace and for source pointers).
    [[nodiscard]] std::string dim(std::string_view text) const;
    /// `text` in red (errors).
    [[nodiscard]] std::string red(std::string_view text) const;
    /// `text` in the n-th colour of a small palette; n wraps around. Tasks get one each.
    [[nodiscard]] std::string palette(int n, std::string_view text) const;

private:
    [[nodiscard]] std::string wrap(std::string_view code, std::string_view text) const;
    bool enabled_;
};

} // namespace looplab
