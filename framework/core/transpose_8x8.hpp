#pragma once
// An 8 x 8 transpose of 32-bit words in AVX2 registers, for the packers of the matrix products:
// floats (core/gemm_kernels.cpp) and pairs of bf16 (core/gemm_bf16.cpp) alike, since a
// transpose only moves words. Compiled for AVX2: call it only where the CPU has it (every CPU
// our kernels run on does).

#include <immintrin.h>

#include <cstddef>

namespace lrnn {

// dst[p * width + j] = src[p + j * step] for p, j < 8. Word is any 4-byte type; the loads and
// stores are the unaligned vector ones, which may alias anything.
template <typename Word>
__attribute__((target("avx2"))) inline void transpose_8x8(const Word* src, std::size_t step,
                                                           Word* dst, std::size_t width) {
    static_assert(sizeof(Word) == 4);
    __m256 r[8], t[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(reinterpret_cast<const float*>(src + j * step));
    for (int j = 0; j < 8; j += 2) {
        t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
        t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
    }
    for (int j = 0; j < 8; j += 4) {
        r[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
        r[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xEE);
        r[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
        r[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
    }
    for (int q = 0; q < 4; ++q) {
        _mm256_storeu_ps(reinterpret_cast<float*>(dst + q * width),
                         _mm256_permute2f128_ps(r[q], r[q + 4], 0x20));
        _mm256_storeu_ps(reinterpret_cast<float*>(dst + (q + 4) * width),
                         _mm256_permute2f128_ps(r[q], r[q + 4], 0x31));
    }
}

}  // namespace lrnn
