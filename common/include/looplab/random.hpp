/// @file
/// @brief SplitMix64: the one tiny random generator behind every seeded random delay.
///
/// Demos that wait "a random time" (chain, queue) must print the same transcript on every machine and
/// agree, step for step, with their Python twins. std::mt19937 would do for the first, but the
/// standard distributions (uniform_real_distribution & co.) are not specified bit-for-bit, so two
/// standard libraries may disagree. So looplab uses its own generator, small enough to implement
/// identically in any language from this comment alone:
///
/// ```
/// state is an unsigned 64-bit integer, initially the seed; all arithmetic is modulo 2^64.
/// next():    state = state + 0x9E3779B97F4A7C15
///            z = state
///            z = (z XOR (z >> 30)) * 0xBF58476D1CE4E5B9
///            z = (z XOR (z >> 27)) * 0x94D049BB133111EB
///            return z XOR (z >> 31)
/// uniform(): (next() >> 11) * 2^-53            a double in [0, 1), exact in IEEE-754 binary64
/// uniform(lo, hi): lo + (hi - lo) * uniform()
/// below(n):  next() mod n                      (bias < n / 2^64: negligible for small n)
/// ```
/// Seed 0 gives 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F (tests check these).
/// In Python: mask with `& 0xFFFFFFFFFFFFFFFF` after each addition and multiplication.
///
/// This is SplitMix64 (Steele, Lea and Flood, 2014; Vigna's reference implementation): fast, 64 bits
/// of state, good enough statistically for delays in a demo. Not for cryptography.
#pragma once

#include <cstdint>

namespace looplab {

/// The seeded generator of the file comment.
class SplitMix64 {
public:
    /// A generator whose first output depends only on `seed`.
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    /// The next 64 random bits.
    std::uint64_t next();
    /// A double in [0, 1): the top 53 bits of next(), scaled.
    double uniform();
    /// A double in [lo, hi).
    double uniform(double lo, double hi);
    /// An integer in [0, n); n must be > 0.
    std::uint64_t below(std::uint64_t n);

private:
    std::uint64_t state_;
};

} // namespace looplab
