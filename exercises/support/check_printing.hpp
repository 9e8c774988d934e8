// How the checks show values in a failed CHECK: doctest prints numbers and strings by itself, and
// "{?}" for anything else. This teaches it vectors (of anything it can print) and the loop's
// Duration, so a failure reads `{1, 2, 0} == {0, 1, 2}` instead of `{?} == {?}` (a long vector: its
// first 16 elements).
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

namespace doctest {

template <typename T>
struct StringMaker<std::vector<T>> {
    static String convert(const std::vector<T>& values) {
        // The first 16 are enough to see what went wrong; a schedule of 150 wake-ups is not.
        std::string out = "{";
        for (std::size_t i = 0; i < values.size() && i < 16; ++i) {
            if (i > 0) out += ", ";
            out += toString(values[i]).c_str();
        }
        if (values.size() > 16) out += ", ... (" + std::to_string(values.size()) + " in all)";
        return (out + "}").c_str();
    }
};

template <typename Rep, typename Period>
struct StringMaker<std::chrono::duration<Rep, Period>> {
    static String convert(const std::chrono::duration<Rep, Period>& d) {
        return (std::to_string(std::chrono::duration<double>(d).count()) + " s").c_str();
    }
};

} // namespace doctest
