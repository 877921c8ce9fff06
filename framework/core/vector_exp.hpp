#pragma once
// exp for float in plain IEEE arithmetic, so that a loop calling it vectorises.
//
// libm's expf is a call: a loop over a chunk's activations that calls it stays scalar, and
// with it the division of every sigmoid next to it. This one is a handful of multiplies, adds,
// a min/max and integer bit moves, all inline, so GCC vectorises the loop around it in each
// LRNN_VECTOR_CLONES clone (AVX-512, AVX2, SSE2). Every step is a correctly rounded IEEE
// operation or an exact integer one, and FMA contraction is off (CMakeLists.txt), so every
// clone and the scalar tail give the same bits: results depend on the input alone.
//
// Method (Cephes expf): n = round(x / ln 2), r = x - n ln 2 in two parts (Cody-Waite; the first
// part has 9 significant bits so n * part is exact), e^r from a degree-5 polynomial on
// |r| <= ln 2 / 2, then e^x = e^r * 2^(n - n/2) * 2^(n/2): two power-of-two factors, each a
// normal float, so results near overflow and in the subnormal range round once, as the
// product of e^r with 2^n would. Accuracy: within 2 units in the last place of the correctly
// rounded result over the whole range (tests/vector_exp_test.cpp measures it). exp(+inf) = inf,
// exp(-inf) = 0, exp(NaN) = NaN; x above ln(FLT_MAX) gives inf and x below about -103.97 gives 0.

#include <bit>
#include <cstdint>

namespace lrnn {

// `condition ? a : b` as a blend of bits.
inline float bit_select(bool condition, float a, float b) {
    const std::uint32_t mask = 0u - std::uint32_t(condition);
    return std::bit_cast<float>((std::bit_cast<std::uint32_t>(a) & mask) |
                                (std::bit_cast<std::uint32_t>(b) & ~mask));
}

inline float vector_exp(float x) {
    constexpr float kLog2e = 1.44269504088896341f;
    constexpr float kLn2Hi = 0.693359375f;       // 355 / 512
    constexpr float kLn2Lo = -2.12194440e-4f;    // ln 2 - kLn2Hi
    constexpr float kRoundShift = 12582912.0f;   // 1.5 * 2^23: adding it rounds to an integer
    // Past these, e^x has overflowed (> FLT_MAX) or underflowed (< half the least subnormal)
    // anyway; the clamp keeps n within the range where both factors are normal floats.
    constexpr float kHighest = 88.8f, kLowest = -104.0f;

    // The clamps are bit blends, not `?:`: given a branch, GCC threads the cases above and
    // below the range to their constant results, and the control flow stops the vectoriser.
    const float xc = bit_select(x != x, 0.0f, bit_select(x < kLowest, kLowest, bit_select(x > kHighest, kHighest, x)));
    const float n = (xc * kLog2e + kRoundShift) - kRoundShift;  // round(x / ln 2), |n| <= 150
    float r = xc - n * kLn2Hi;
    r = r - n * kLn2Lo;

    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float er = (p * (r * r) + r) + 1.0f;  // e^r

    const std::int32_t ni = std::int32_t(n);
    const std::int32_t half = ni / 2;  // |half|, |ni - half| <= 75: both 2^k are normal floats
    const float scale_a = std::bit_cast<float>(std::uint32_t(half + 127) << 23);
    const float scale_b = std::bit_cast<float>(std::uint32_t(ni - half + 127) << 23);
    const float y = (er * scale_a) * scale_b;
    return bit_select(x != x, x, y);
}

}  // namespace lrnn
