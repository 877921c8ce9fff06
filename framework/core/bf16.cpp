#include "core/bf16.hpp"

namespace lrnn {

namespace {

// Columns per pass over the rows: 128 float accumulators stay in vector registers (8 with
// AVX-512, 16 with AVX2), and one pass reads 256 contiguous bytes of every row.
constexpr std::size_t kColumnBlock = 128;

// Always inlined, so that it is compiled for each target clone of bf16_matvec below (a call
// would run the plain x86-64 version).
template <std::size_t Width>
[[gnu::always_inline]] inline void accumulate_columns(const float* x, const Bf16* w, float* out, std::size_t inner,
                               std::size_t cols, float beta) {
    float acc[Width];
    for (std::size_t j = 0; j < Width; ++j) acc[j] = 0.0f;
    for (std::size_t i = 0; i < inner; ++i) {
        const float xi = x[i];
        const Bf16* row = w + i * cols;
        for (std::size_t j = 0; j < Width; ++j) acc[j] += xi * bf16_to_float(row[j]);
    }
    for (std::size_t j = 0; j < Width; ++j) out[j] = beta == 0.0f ? acc[j] : beta * out[j] + acc[j];
}

}  // namespace

// The binary targets plain x86-64; the clones let the same loop run with AVX-512 or AVX2
// where the CPU has them (chosen once, at load time). Without FMA contraction
// (-ffp-contract=off) every clone rounds the same multiply and add, so the results agree.
__attribute__((target_clones("avx512f", "avx2", "default")))
void bf16_matvec(const float* x, const Bf16* w, float* out, std::size_t inner, std::size_t cols,
                 float beta) {
    std::size_t c0 = 0;
    for (; c0 + kColumnBlock <= cols; c0 += kColumnBlock)
        accumulate_columns<kColumnBlock>(x, w + c0, out + c0, inner, cols, beta);
    for (; c0 + 16 <= cols; c0 += 16) accumulate_columns<16>(x, w + c0, out + c0, inner, cols, beta);
    for (; c0 < cols; ++c0) accumulate_columns<1>(x, w + c0, out + c0, inner, cols, beta);
}

}  // namespace lrnn
