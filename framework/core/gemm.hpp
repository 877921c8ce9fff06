#pragma once
// Matrix products for the model core, in the row-vector convention of model-spec.md:
// a weight W of shape (in, out) is applied as y = x @ W. Everything is row-major.
// Float products go to our own kernels where the CPU has AVX2 or AVX-512 (core/gemm_kernels.hpp),
// to OpenBLAS otherwise; double products and single rows (gemv) to CBLAS. Float products with at
// most 4 outputs a row, and weight gradients with at most 4 rows or columns (the decay LoRA, the
// slot gates), run core/gemm_narrow.hpp's loops instead, in both precisions (but an fp32 single
// row, which stays a gemv).
//
// Precision::Bf16 (train.precision: bf16): float products round every input, the gradient dy
// included, to bfloat16 and sum in float (core/gemm_bf16.hpp), one row or many alike. Double
// products in Bf16 are the reference of the gradient checks, the exact derivative of the
// bf16-rounded forward: x and w are rounded to bf16 (through float), dy is not, and the sums
// are double.

#include <cstddef>

#include "core/precision.hpp"

namespace lrnn {

// out (n, cols) = beta * out + x (n, inner) @ w (inner, cols)
template <typename Real>
void matmul(const Real* x, const Real* w, Real* out, std::size_t n, std::size_t inner,
            std::size_t cols, Real beta = Real(0), Precision precision = Precision::Fp32);

// dx (n, inner) = beta * dx + dy (n, cols) @ w^T, with w (inner, cols)
template <typename Real>
void matmul_backward_input(const Real* dy, const Real* w, Real* dx, std::size_t n,
                           std::size_t inner, std::size_t cols, Real beta = Real(0),
                           Precision precision = Precision::Fp32);

// dw (inner, cols) += x^T (inner, n) @ dy (n, cols)
template <typename Real>
void matmul_backward_weight(const Real* x, const Real* dy, Real* dw, std::size_t n,
                            std::size_t inner, std::size_t cols,
                            Precision precision = Precision::Fp32);

// Multiply-adds of one product of shape (n, inner) x (inner, cols); 2 FLOP each.
constexpr double matmul_flops(std::size_t n, std::size_t inner, std::size_t cols) {
    return 2.0 * double(n) * double(inner) * double(cols);
}

// Keeps the BLAS on the calling thread (a no-op for the serial OpenBLAS build).
void blas_use_single_thread();

}  // namespace lrnn
