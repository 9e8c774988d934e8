/// @file
/// @brief The one strict reader of numbers on every looplab command line.
///
/// CLI11 converts an option's text with strtoll and strtod, which are generous in ways a command
/// line should not be: `0x50` is read as hexadecimal (port 80), `010` as octal (8), `-1` into an
/// unsigned seed wraps to 2^64-1, and `nan` passes every range check (each comparison with NaN is
/// false) and reaches a duration_cast, which is undefined behaviour. parse_decimal() accepts only
/// what a person means by a decimal number, in range, and otherwise says why in words; the
/// validator `number(min, max)` in cli.hpp puts it in front of CLI11's conversion.
#pragma once

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace looplab {

/// Writes `value` in decimal, as short as reads back exactly (`0.1`, not `0.10000000000000001`).
template <class T>
std::string decimal_text(T value) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

/// Reads `text` as a decimal number of type T in [min, max]. On success stores it in `out` and
/// returns an empty string; otherwise returns the reason, in words, and leaves `out` alone.
/// Refused: anything that is not wholly a number (`12abc`, ` 5`, `+5`, an empty string); hex
/// (`0x50`); a leading zero on a whole number (`010`, octal to C); a sign on an unsigned type
/// (`-1`); a fraction for a whole number (`1.5`); NaN and infinity; values out of [min, max].
template <class T>
std::string parse_decimal(std::string_view text, T& out, T min, T max) {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "a number type");
    const std::string quoted = "'" + std::string(text) + "'";
    const std::string range = "from " + decimal_text(min) + " to " + decimal_text(max);
    const auto starts = [&](std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; };
    if (starts("0x") || starts("0X") || starts("-0x") || starts("-0X"))
        return quoted + " is hexadecimal; write a decimal number " + range;

    T value{};
    const char* first = text.data();
    const char* last = text.data() + text.size();
    std::from_chars_result r{};
    if constexpr (std::is_floating_point_v<T>) {
        r = std::from_chars(first, last, value, std::chars_format::general);
    } else {
        if (std::is_unsigned_v<T> && starts("-")) return quoted + " is negative; write a decimal number " + range;
        const std::string_view digits = starts("-") ? text.substr(1) : text;
        if (digits.size() > 1 && digits[0] == '0')
            return quoted + " has a leading zero (C would read it as octal); write a decimal number " + range;
        r = std::from_chars(first, last, value, 10);
    }
    if (r.ec == std::errc::result_out_of_range) return quoted + " is out of range: " + range;
    if (r.ec != std::errc() || r.ptr != last) {
        const bool fraction = std::is_integral_v<T> && r.ec == std::errc() && *r.ptr == '.';
        return quoted + (fraction ? " is not a whole number" : " is not a decimal number") + "; write one " + range;
    }
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(value)) return quoted + " is not a number; write a decimal number " + range;
        if (std::isinf(value)) return quoted + " is infinite; write a decimal number " + range;
    }
    if (value < min || value > max) return quoted + " is out of range: " + range;
    out = value;
    return {};
}

} // namespace looplab
