#pragma once
// The register tiles of core/gemm_kernels.cpp, one per ISA, each compiled for its ISA only
// (target attributes): call one only when cpu_features() says the CPU has it.

#include <cstddef>

namespace lrnn {

// c (mr x nr tile, row stride ldc) = beta * c
//     + sum over p < kc of a[i * a_row_stride + p * a_col_stride] * b[p * nr + j],
// the sum taken in order of p with one FMA per term, from zero. beta == 0 does not read c;
// beta == 1 adds. a is read in place (or from a packed panel: strides 1 and mr), b is a packed
// panel (gemm_kernels.cpp).
using MicroKernelFn = void (*)(std::size_t kc, const float* a, std::size_t a_row_stride,
                               std::size_t a_col_stride, const float* b, float* c,
                               std::size_t ldc, float beta);

struct MicroKernel {
    std::size_t mr;  // rows of the tile
    std::size_t nr;  // columns of the tile, a multiple of the vector width
    MicroKernelFn run;
};

MicroKernel avx512_micro_kernel();  // 8 x 32: 16 zmm accumulators
MicroKernel avx2_micro_kernel();    // 6 x 16: 12 ymm accumulators

}  // namespace lrnn
