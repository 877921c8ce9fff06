#include "core/gemm_micro_kernels.hpp"

#include <immintrin.h>

#include "core/amx_asm.hpp"

namespace lrnn {

namespace {

// Every kernel keeps an MR x nr tile of sums in registers: per step p, the nr values of b's row
// are loaded once, each of a's MR values is broadcast, and every accumulator gets one FMA.
// The FMA is the instruction, not a contraction the compiler chose: its rounding is fixed.
// Each row's sums are a chain of their own, so the one-row kernels (MR = 1) give row 0 of the
// tile's bits.

// row (2 x 16 floats) = beta * row + (acc0, acc1): the merge of the 32-wide tiles, the float
// one and the bf16 one alike, so that their bits agree whichever summed.
__attribute__((target("avx512f"), always_inline)) inline void merge_row_32(float* row, __m512 acc0,
                                                                          __m512 acc1, float beta) {
    if (beta == 0.0f) {
        _mm512_storeu_ps(row, acc0), _mm512_storeu_ps(row + 16, acc1);
    } else if (beta == 1.0f) {
        _mm512_storeu_ps(row, _mm512_add_ps(_mm512_loadu_ps(row), acc0));
        _mm512_storeu_ps(row + 16, _mm512_add_ps(_mm512_loadu_ps(row + 16), acc1));
    } else {
        const __m512 vbeta = _mm512_set1_ps(beta);
        const __m512 c0 = _mm512_mul_ps(vbeta, _mm512_loadu_ps(row));
        const __m512 c1 = _mm512_mul_ps(vbeta, _mm512_loadu_ps(row + 16));
        _mm512_storeu_ps(row, _mm512_add_ps(c0, acc0));
        _mm512_storeu_ps(row + 16, _mm512_add_ps(c1, acc1));
    }
}

template <int MR>
__attribute__((target("avx512f,fma"))) void avx512_tile(std::size_t kc, const float* a,
                                                         std::size_t rs, std::size_t cs,
                                                         const float* b, float* c,
                                                         std::size_t ldc, float beta) {
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        acc0[i] = _mm512_setzero_ps(), acc1[i] = _mm512_setzero_ps();
        // c's rows are needed only after the sums, but they are often far (a weight gradient
        // in memory): fetched now, they arrive while the sums run.
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
    }
    for (std::size_t p = 0; p < kc; ++p, a += cs, b += 32) {
        const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m512 ai = _mm512_set1_ps(a[i * rs]);
            acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) merge_row_32(c + i * ldc, acc0[i], acc1[i], beta);
}

template <int MR>
__attribute__((target("avx2,fma"))) void avx2_tile(std::size_t kc, const float* a, std::size_t rs,
                                                   std::size_t cs, const float* b, float* c,
                                                   std::size_t ldc, float beta) {
    __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) acc0[i] = _mm256_setzero_ps(), acc1[i] = _mm256_setzero_ps();
    for (std::size_t p = 0; p < kc; ++p, a += cs, b += 16) {
        const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
        for (int i = 0; i < MR; ++i) {
            const __m256 ai = _mm256_broadcast_ss(a + i * rs);
            acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
        }
    }
    const __m256 vbeta = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
        float* row = c + i * ldc;
        if (beta == 0.0f) {
            _mm256_storeu_ps(row, acc0[i]), _mm256_storeu_ps(row + 8, acc1[i]);
        } else if (beta == 1.0f) {
            _mm256_storeu_ps(row, _mm256_add_ps(_mm256_loadu_ps(row), acc0[i]));
            _mm256_storeu_ps(row + 8, _mm256_add_ps(_mm256_loadu_ps(row + 8), acc1[i]));
        } else {
            const __m256 c0 = _mm256_mul_ps(vbeta, _mm256_loadu_ps(row));
            const __m256 c1 = _mm256_mul_ps(vbeta, _mm256_loadu_ps(row + 8));
            _mm256_storeu_ps(row, _mm256_add_ps(c0, acc0[i]));
            _mm256_storeu_ps(row + 8, _mm256_add_ps(c1, acc1[i]));
        }
    }
}

template <int MR>
__attribute__((target("avx512f,avx512bf16"))) void avx512_bf16_tile(
    std::size_t pairs, const std::uint32_t* a, std::size_t rs, std::size_t cs,
    const std::uint32_t* b, float* c, std::size_t ldc, float beta) {
    __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) acc0[i] = _mm512_setzero_ps(), acc1[i] = _mm512_setzero_ps();
    for (std::size_t q = 0; q < pairs; ++q, a += cs, b += 32) {
        const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b);
        const __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + 16);
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) {
            const __m512bh ai = (__m512bh)_mm512_set1_epi32(int(a[i * rs]));
            acc0[i] = _mm512_dpbf16_ps(acc0[i], ai, b0);
            acc1[i] = _mm512_dpbf16_ps(acc1[i], ai, b1);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) merge_row_32(c + i * ldc, acc0[i], acc1[i], beta);
}

void avx512_row(std::size_t kc, const float* a, std::size_t cs, const float* b, float* c, float beta) {
    avx512_tile<1>(kc, a, 0, cs, b, c, 0, beta);
}
void avx2_row(std::size_t kc, const float* a, std::size_t cs, const float* b, float* c, float beta) {
    avx2_tile<1>(kc, a, 0, cs, b, c, 0, beta);
}

// The tile registers of amx_bf16_32x32: c in 0..3 (rows 0-15 and 16-31, columns 0-15 and
// 16-31), a's two row halves in 4 and 5, b's two column halves in 6 and 7.
struct alignas(64) AmxTileConfig {
    std::uint8_t palette = 1;
    std::uint8_t start_row = 0;
    std::uint8_t reserved[14] = {};
    std::uint16_t bytes_per_row[16] = {};
    std::uint8_t rows[16] = {};
};

// (A target attribute on a member function would make it a function version in C++.)
__attribute__((target("amx-tile"))) void load_amx_config(std::size_t tile_rows) {
    AmxTileConfig config;
    for (int t = 0; t < 8; ++t) {
        config.bytes_per_row[t] = 64;
        config.rows[t] = std::uint8_t(t >= 6 ? kAmxGroupPairs : tile_rows);
    }
    LRNN_TILE_LOADCONFIG(config);
}

__attribute__((target("amx-tile"))) void release_amx_tiles() { _tile_release(); }

template <bool kLowerHalf>
__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16"))) void amx_tile(
    std::size_t pairs, const std::uint32_t* a, std::size_t rs, const std::uint32_t* b, float* c,
    std::size_t ldc, float beta, std::size_t rows) {
    const std::size_t groups_end = pairs / kAmxGroupPairs * kAmxGroupPairs;
    const std::size_t a_bytes = rs * sizeof(std::uint32_t);
    _tile_zero(0);
    _tile_zero(1);
    if constexpr (kLowerHalf) {
        _tile_zero(2);
        _tile_zero(3);
    }
    for (std::size_t q = 0; q < groups_end; q += kAmxGroupPairs) {
        LRNN_TILE_LOADD(6, b + q * 32, 128);
        LRNN_TILE_LOADD(7, b + q * 32 + 16, 128);
        LRNN_TILE_LOADD(4, a + q, a_bytes);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        if constexpr (kLowerHalf) {
            LRNN_TILE_LOADD(5, a + 16 * rs + q, a_bytes);
            _tile_dpbf16ps(2, 5, 6);
            _tile_dpbf16ps(3, 5, 7);
        }
    }
    alignas(64) float sums[32 * 32];
    LRNN_TILE_STORED(0, sums, 128);
    LRNN_TILE_STORED(1, sums + 16, 128);
    if constexpr (kLowerHalf) {
        LRNN_TILE_STORED(2, sums + 16 * 32, 128);
        LRNN_TILE_STORED(3, sums + 16 * 32 + 16, 128);
    }
    for (std::size_t i = 0; i < rows; ++i) {
        __m512 acc0 = _mm512_load_ps(sums + i * 32), acc1 = _mm512_load_ps(sums + i * 32 + 16);
        for (std::size_t q = groups_end; q < pairs; ++q) {
            const __m512bh ai = (__m512bh)_mm512_set1_epi32(int(a[i * rs + q]));
            acc0 = _mm512_dpbf16_ps(acc0, ai, (__m512bh)_mm512_loadu_si512(b + q * 32));
            acc1 = _mm512_dpbf16_ps(acc1, ai, (__m512bh)_mm512_loadu_si512(b + q * 32 + 16));
        }
        merge_row_32(c + i * ldc, acc0, acc1, beta);
    }
}

}  // namespace

void amx_bf16_32x32(std::size_t pairs, const std::uint32_t* a, std::size_t a_row_stride,
                    const std::uint32_t* b, float* c, std::size_t ldc, float beta,
                    std::size_t rows) {
    if (rows > 16) amx_tile<true>(pairs, a, a_row_stride, b, c, ldc, beta, rows);
    else amx_tile<false>(pairs, a, a_row_stride, b, c, ldc, beta, rows);
}

AmxTileScope::AmxTileScope(std::size_t tile_rows) { load_amx_config(tile_rows); }

AmxTileScope::~AmxTileScope() { release_amx_tiles(); }

void avx512_bf16_8x32(std::size_t pairs, const std::uint32_t* a, std::size_t rs, std::size_t cs,
                      const std::uint32_t* b, float* c, std::size_t ldc, float beta) {
    avx512_bf16_tile<8>(pairs, a, rs, cs, b, c, ldc, beta);
}
void avx512_bf16_1x32(std::size_t pairs, const std::uint32_t* a, std::size_t cs,
                      const std::uint32_t* b, float* c, float beta) {
    avx512_bf16_tile<1>(pairs, a, 0, cs, b, c, 0, beta);
}

MicroKernel avx512_micro_kernel() { return {8, 32, avx512_tile<8>, avx512_row}; }
MicroKernel avx2_micro_kernel() { return {6, 16, avx2_tile<6>, avx2_row}; }

}  // namespace lrnn
