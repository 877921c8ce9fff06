#include "peak_throughput.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "core/amx_asm.hpp"
#include "core/cpu_features.hpp"
#include "core/gemm_micro_kernels.hpp"

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

// TDPBF16PS: per tile, 16 x 16 sums of 16 pairs, 2 x 16 x 16 x 32 FLOP per instruction; four
// accumulator tiles over the same a and b tiles (1e-3 each: the sums stay finite).
__attribute__((target("amx-tile,amx-bf16"))) float bf16_amx_tiles(std::size_t iterations) {
    const AmxTileScope tiles(16);
    const std::uint32_t small_pair = 0x3a833a83u;  // bf16(1e-3) twice
    alignas(64) std::uint32_t operand[16 * 16];
    std::fill(std::begin(operand), std::end(operand), small_pair);
    LRNN_TILE_LOADD(4, operand, 64);
    LRNN_TILE_LOADD(6, operand, 64);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (std::size_t i = 0; i < iterations; ++i) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 6);
        _tile_dpbf16ps(2, 4, 6);
        _tile_dpbf16ps(3, 4, 6);
    }
    alignas(64) float sums[4][16 * 16];
    LRNN_TILE_STORED(0, sums[0], 64);
    LRNN_TILE_STORED(1, sums[1], 64);
    LRNN_TILE_STORED(2, sums[2], 64);
    LRNN_TILE_STORED(3, sums[3], 64);
    return sums[0][0] + sums[1][17] + sums[2][100] + sums[3][255];
}

}  // namespace

std::vector<PeakLoop> peak_loops() {
    const CpuFeatures& cpu = cpu_features();
    std::vector<PeakLoop> loops;
    if (cpu.avx512) loops.push_back({"fp32_fma_avx512", PeakKind::Fp32, kChains * 16 * 2.0, fp32_fma_avx512});
    if (cpu.avx2_fma) loops.push_back({"fp32_fma_avx2", PeakKind::Fp32, kChains * 8 * 2.0, fp32_fma_avx2});
    if (cpu.avx512_bf16)
        loops.push_back({"bf16_dot_avx512", PeakKind::Bf16Dot, kChains * 32 * 2.0, bf16_dot_avx512});
    if (cpu.amx_bf16)
        loops.push_back({"bf16_amx_tiles", PeakKind::Amx, 4 * 2.0 * 16 * 16 * 32, bf16_amx_tiles});
    return loops;
}

}  // namespace lrnn::recipes
