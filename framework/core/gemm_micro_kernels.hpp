#pragma once
// The register tiles of core/gemm_kernels.cpp, one per ISA, each compiled for its ISA only
// (target attributes): call one only when cpu_features() says the CPU has it.

#include <cstddef>
#include <cstdint>

namespace lrnn {

// c (mr x nr tile, row stride ldc) = beta * c
//     + sum over p < kc of a[i * a_row_stride + p * a_col_stride] * b[p * nr + j],
// the sum taken in order of p with one FMA per term, from zero. beta == 0 does not read c;
// beta == 1 adds. a is read in place (or from a packed panel: strides 1 and mr), b is a packed
// panel (gemm_kernels.cpp).
using MicroKernelFn = void (*)(std::size_t kc, const float* a, std::size_t a_row_stride,
                               std::size_t a_col_stride, const float* b, float* c,
                               std::size_t ldc, float beta);

// The same sums for one row of a (row 0 of the tile, the same FMAs in the same order, so the
// same bits): c (1 x nr) = beta * c + sum over p < kc of a[p * a_col_stride] * b[p * nr + j].
// A one-token step of generation has one row; the tile would compute mr.
using MicroKernelRowFn = void (*)(std::size_t kc, const float* a, std::size_t a_col_stride,
                                  const float* b, float* c, float beta);

struct MicroKernel {
    std::size_t mr;  // rows of the tile
    std::size_t nr;  // columns of the tile, a multiple of the vector width
    MicroKernelFn run;
    MicroKernelRowFn run_row;
};

MicroKernel avx512_micro_kernel();  // 8 x 32: 16 zmm accumulators
MicroKernel avx2_micro_kernel();    // 6 x 16: 12 ymm accumulators

// The bf16 tile (core/gemm_bf16.cpp), 8 x 32 like avx512_micro_kernel, AVX512_BF16 only:
// c = beta * c + sum over q < pairs of vdpbf16ps steps. a and b hold pairs of bf16 values
// (low half k = 2q, high half 2q + 1) as 32-bit words: a[i * a_row_stride + q * a_col_stride]
// (row i), b a packed panel b[q * 32 + j] (column j). Each step adds a[2q+1] b[2q+1], then
// a[2q] b[2q] (docs/kernels.md).
inline constexpr std::size_t kBf16TileRows = 8, kBf16TileCols = 32;
void avx512_bf16_8x32(std::size_t pairs, const std::uint32_t* a, std::size_t a_row_stride,
                      std::size_t a_col_stride, const std::uint32_t* b, float* c, std::size_t ldc,
                      float beta);
// Row 0 of that tile alone (the same bits), c (1 x 32).
void avx512_bf16_1x32(std::size_t pairs, const std::uint32_t* a, std::size_t a_col_stride,
                      const std::uint32_t* b, float* c, float beta);

}  // namespace lrnn
