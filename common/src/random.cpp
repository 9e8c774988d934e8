#include "looplab/random.hpp"

#include <stdexcept>

namespace looplab {

std::uint64_t SplitMix64::next() {
    // Unsigned arithmetic wraps modulo 2^64 by definition, which is exactly what the formula wants.
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double SplitMix64::uniform() {
    // 53 bits fill a double's mantissa exactly; multiplying by 2^-53 is exact, so every language agrees.
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double SplitMix64::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

std::uint64_t SplitMix64::below(std::uint64_t n) {
    if (n == 0) throw std::invalid_argument("SplitMix64::below(0): the range is empty");
    return next() % n;
}

} // namespace looplab
