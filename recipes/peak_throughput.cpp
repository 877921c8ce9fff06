#include "peak_throughput.hpp"

#include <immintrin.h>

#include "core/cpu_features.hpp"

namespace lrnn::recipes {

namespace {

constexpr int kChains = 12;

// The lanes' sum, through memory: GCC 12 warns (wrongly) inside _mm512_reduce_add_ps.
__attribute__((target("avx512f"))) float lane_sum(__m512 v) {
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, v);
    float total = 0;
    for (const float lane : lanes) total += lane;
    return total;
}

// acc = acc * x + y converges to y / (1 - x): no overflow, no denormals, whatever the count.
__attribute__((target("avx512f,fma"))) float fp32_fma_avx512(std::size_t iterations) {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c));
    const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
    for (std::size_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
    }
    __m512 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, acc[c]);
    return lane_sum(sum);
}

__attribute__((target("avx2,fma"))) float fp32_fma_avx2(std::size_t iterations) {
    __m256 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c));
    const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
    for (std::size_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
    }
    __m256 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, sum);
    float total = 0;
    for (const float lane : lanes) total += lane;
    return total;
}

// vdpbf16ps: per 32-bit lane, acc += a0 * b0 + a1 * b1 over bf16 pairs: 32 products and 32
// additions per instruction. The small products keep the sums finite.
__attribute__((target("avx512f,avx512bf16"))) float bf16_dot_avx512(std::size_t iterations) {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c));
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
    const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
    for (std::size_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    }
    __m512 sum = acc[0];
    for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, acc[c]);
    return lane_sum(sum);
}

}  // namespace

std::vector<PeakLoop> peak_loops() {
    const CpuFeatures& cpu = cpu_features();
    std::vector<PeakLoop> loops;
    if (cpu.avx512) loops.push_back({"fp32_fma_avx512", true, kChains * 16 * 2.0, fp32_fma_avx512});
    if (cpu.avx2_fma) loops.push_back({"fp32_fma_avx2", true, kChains * 8 * 2.0, fp32_fma_avx2});
    if (cpu.avx512_bf16)
        loops.push_back({"bf16_dot_avx512", false, kChains * 32 * 2.0, bf16_dot_avx512});
    return loops;
}

}  // namespace lrnn::recipes
