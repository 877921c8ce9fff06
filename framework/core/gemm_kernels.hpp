#pragma once
// Our own single-precision matrix product, blocked (core/gemm_blocking.hpp) and packed around a
// register-tile micro-kernel per ISA (docs/kernels.md). It runs on the calling thread, its
// packing buffers belong to the call, and it is deterministic: for a given shape and path every
// output element is the same sequence of FMAs in the same order, whichever thread runs it and
// however many threads exist. core/gemm.cpp picks the path from the CPU's features; OpenBLAS is the fallback.

#include <cstddef>
#include <string>
#include <vector>

namespace lrnn {

enum class GemmPath { Openblas, Avx2, Avx512 };

std::string gemm_path_name(GemmPath path);

// Whether this CPU can run `path` (OpenBLAS: always).
bool gemm_path_available(GemmPath path);

// Every path this CPU can run, OpenBLAS first.
std::vector<GemmPath> available_gemm_paths();

// The fastest path this CPU can run, or the one the environment variable LRNN_GEMM names
// (openblas, avx2, avx512; UserError if this CPU cannot run it): what matmul<float> uses.
// Decided once per process.
GemmPath best_gemm_path();

// A matrix operand read in place: element (i, j) is data[i * row_stride + j * col_stride],
// so a transposed matrix is the same memory with the strides swapped.
struct MatrixOperand {
    const float* data;
    std::size_t row_stride;
    std::size_t col_stride;
};

// c (m, n; row stride ldc) = beta * c + a (m, k) @ b (k, n). beta == 0 does not read c.
// Any available path (std::invalid_argument otherwise), including OpenBLAS, which needs one
// of each operand's strides to be 1.
void sgemm(GemmPath path, std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
           MatrixOperand b, float beta, float* c, std::size_t ldc);

}  // namespace lrnn
