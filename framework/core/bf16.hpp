#pragma once
// bfloat16: the upper 16 bits of an IEEE float32 (same exponent range, 8 bits of mantissa).
// Used for an opt-in generation mode (`lrnn generate --weights bf16`): a one-token step reads
// every weight matrix once, so its speed is the speed at which the weights stream from the
// caches; half the bytes per weight is close to twice the tokens per second.

#include <bit>
#include <cstddef>
#include <cstdint>

namespace lrnn {

using Bf16 = std::uint16_t;

// Round to nearest, ties to even. NaN stays NaN (quiet); infinities and zeros keep their sign.
inline Bf16 float_to_bf16(float value) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0)
        return Bf16((bits >> 16) | 0x0040u);
    const std::uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
    return Bf16((bits + rounding) >> 16);
}

// The rounding of the bf16 matrix products (train.precision: bf16, core/gemm_bf16.hpp): a
// float32 subnormal input becomes a zero of its sign first, then float_to_bf16 (nearest, ties
// to even). So no bf16 operand is ever subnormal, whether or not a CPU's dot-product
// instruction would treat it as zero (vdpbf16ps does: DAZ), and the result is what
// vcvtne2ps2bf16 gives (it also reads float32 subnormals as zero).
inline Bf16 float_to_bf16_flushed(float value) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    if ((bits & 0x7f800000u) == 0) return Bf16((bits >> 16) & 0x8000u);
    return float_to_bf16(value);
}

// float_to_bf16_flushed's bits as selects rather than branches, so that loops over it
// vectorise (the bf16 products' packing, core/gemm_narrow.cpp's operands): the same bits
// (tests/gemm_bf16_test.cpp holds them to it).
[[gnu::always_inline]] inline std::uint32_t bf16_bits_flushed(float x) {
    const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
    const std::uint32_t flushed = (b & 0x7f800000u) == 0 ? (b & 0x80000000u) : b;
    const std::uint32_t nearest = (flushed + 0x7fffu + ((flushed >> 16) & 1u)) >> 16;
    return (b & 0x7fffffffu) > 0x7f800000u ? ((b >> 16) | 0x40u) & 0xffffu : nearest;
}

inline float bf16_to_float(Bf16 value) { return std::bit_cast<float>(std::uint32_t(value) << 16); }

// out (cols) = beta * out + x (inner) @ w (inner, cols), w row-major in bfloat16, the sums in
// float32. Each output is accumulated over i = 0, 1, ... in order (no reassociation), so every
// vector width the CPU offers gives the same bits.
void bf16_matvec(const float* x, const Bf16* w, float* out, std::size_t inner, std::size_t cols,
                 float beta);

}  // namespace lrnn
