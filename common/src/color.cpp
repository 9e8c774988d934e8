#include "looplab/color.hpp"

#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace looplab {

ColorMode parse_color_mode(std::string_view text) {
    if (text == "auto") return ColorMode::Auto;
    if (text == "always") return ColorMode::Always;
    if (text == "never") return ColorMode::Never;
    throw std::invalid_argument("--color must be auto, always or never, not '" + std::string(text) + "'");
}

bool should_color(ColorMode mode, int fd) {
    switch (mode) {
    case ColorMode::Always: return true;
    case ColorMode::Never: return false;
    case ColorMode::Auto: {
        const char* no_color = std::getenv("NO_COLOR");
        if (no_color != nullptr && *no_color != '\0') return false;
        return ::isatty(fd) == 1;
    }
    }
    return false;
}

std::string Painter::wrap(std::string_view code, std::string_view text) const {
    if (!enabled_) return std::string(text);
    std::string s = "\x1b[";
    s += code;
    s += 'm';
    s += text;
    s += "\x1b[0m";
    return s;
}

std::string Painter::bold(std::string_view text) const { return wrap("1", text); }
std::string Painter::dim(std::string_view text) const { return wrap("2", text); }
std::string Painter::red(std::string_view text) const { return wrap("31", text); }

std::string Painter::palette(int n, std::string_view text) const {
    // Six colours that read on dark and light terminals: cyan, magenta, yellow, green, blue, red-ish.
    static constexpr std::string_view codes[] = {"36", "35", "33", "32", "34", "91"};
    constexpr int count = sizeof codes / sizeof codes[0];
    return wrap(codes[((n % count) + count) % count], text);
}

} // namespace looplab
