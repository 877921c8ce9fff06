#include "core/gemm.hpp"

#include <cblas.h>

#include <cassert>
#include <type_traits>
#include <vector>

#include "core/bf16.hpp"
#include "core/gemm_bf16.hpp"
#include "core/gemm_narrow.hpp"
#include "core/gemm_kernels.hpp"

namespace lrnn {

namespace {

// Overloads so that the templates below read the same for float and double: float goes to the
// fastest kernel this CPU has (core/gemm_kernels.hpp), double to the BLAS. The operands are
// row-major; a transposed one is the same memory read with the strides swapped.
MatrixOperand operand(const float* data, CBLAS_TRANSPOSE t, int ld) {
    return t == CblasNoTrans ? MatrixOperand{data, std::size_t(ld), 1}
                             : MatrixOperand{data, 1, std::size_t(ld)};
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha,
          const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
    assert(alpha == 1.0f);  // the templates below multiply by 1 only
    sgemm(best_gemm_path(), std::size_t(m), std::size_t(n), std::size_t(k), operand(a, ta, lda),
          operand(b, tb, ldb), beta, c, std::size_t(ldc));
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha,
          const double* a, int lda, const double* b, int ldb, double beta, double* c, int ldc) {
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemv(CBLAS_TRANSPOSE t, int m, int n, float alpha, const float* a, int lda,
          const float* x, float beta, float* y) {
    cblas_sgemv(CblasRowMajor, t, m, n, alpha, a, lda, x, 1, beta, y, 1);
}
void gemv(CBLAS_TRANSPOSE t, int m, int n, double alpha, const double* a, int lda,
          const double* x, double beta, double* y) {
    cblas_dgemv(CblasRowMajor, t, m, n, alpha, a, lda, x, 1, beta, y, 1);
}

// The bf16 product of row-major operands (a transposed one read with its strides swapped), on
// the path of `precision` (bf16: the best of bf16's sums; bf16_amx: AMX).
void gemm_bf16(Precision precision, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, std::size_t m,
               std::size_t n, std::size_t k, const float* a, std::size_t lda, const float* b,
               std::size_t ldb, float beta, float* c, std::size_t ldc) {
    bf16_sgemm(bf16_gemm_path_for(precision), m, n, k, operand(a, ta, int(lda)), operand(b, tb, int(ldb)), beta, c, ldc);
}

// The double reference's rounding: each value to the nearest bf16, as the float product rounds
// it (through float first, so a double between two floats rounds as its float does).
std::vector<double> rounded_to_bf16(const double* values, std::size_t count) {
    std::vector<double> out(count);
    for (std::size_t i = 0; i < count; ++i)
        out[i] = double(bf16_to_float(float_to_bf16_flushed(float(values[i]))));
    return out;
}

// The BLAS must compute in the calling thread: TBB owns the cores, and a BLAS that started
// threads of its own inside every TBB task would oversubscribe them. Done once, on the first
// product, so that every entry point (the program, the tests, benchmarks) gets it.
void ensure_single_threaded_blas() {
    static const bool done = [] {
        openblas_set_num_threads(1);
        return true;
    }();
    (void)done;
}

}  // namespace

template <typename Real>
void matmul(const Real* x, const Real* w, Real* out, std::size_t n, std::size_t inner,
            std::size_t cols, Real beta, Precision precision) {
    ensure_single_threaded_blas();
    if constexpr (std::is_same_v<Real, float>) {
        // (an fp32 step keeps the BLAS's gemv below: no buffer per token)
        if (cols <= kNarrowSide && (n > 1 || rounds_to_bf16(precision)))
            return narrow_matmul(x, w, out, n, inner, cols, beta, rounds_to_bf16(precision));
    }
    if (rounds_to_bf16(precision)) {
        if constexpr (std::is_same_v<Real, float>) {
            // One row too: a step of generation rounds and sums exactly as a chunk's row does.
            return gemm_bf16(precision, CblasNoTrans, CblasNoTrans, n, cols, inner, x, inner, w, cols, beta,
                             out, cols);
        } else {
            const auto x16 = rounded_to_bf16(x, n * inner), w16 = rounded_to_bf16(w, inner * cols);
            return matmul(x16.data(), w16.data(), out, n, inner, cols, beta);
        }
    }
    if (n == 1) {
        // One row (generation): out = w^T x is a matrix-vector product.
        gemv(CblasTrans, int(inner), int(cols), Real(1), w, int(cols), x, beta, out);
        return;
    }
    gemm(CblasNoTrans, CblasNoTrans, int(n), int(cols), int(inner), Real(1), x, int(inner), w,
         int(cols), beta, out, int(cols));
}

template <typename Real>
void matmul_backward_input(const Real* dy, const Real* w, Real* dx, std::size_t n,
                           std::size_t inner, std::size_t cols, Real beta, Precision precision) {
    ensure_single_threaded_blas();
    if constexpr (std::is_same_v<Real, float>) {
        if (inner <= kNarrowSide)
            return narrow_matmul_backward_input(dy, w, dx, n, inner, cols, beta,
                                                rounds_to_bf16(precision));
    }
    if (rounds_to_bf16(precision)) {
        if constexpr (std::is_same_v<Real, float>) {
            return gemm_bf16(precision, CblasNoTrans, CblasTrans, n, inner, cols, dy, cols, w, cols, beta, dx,
                             inner);
        } else {
            const auto w16 = rounded_to_bf16(w, inner * cols);
            return matmul_backward_input(dy, w16.data(), dx, n, inner, cols, beta);
        }
    }
    gemm(CblasNoTrans, CblasTrans, int(n), int(inner), int(cols), Real(1), dy, int(cols), w,
         int(cols), beta, dx, int(inner));
}

template <typename Real>
void matmul_backward_weight(const Real* x, const Real* dy, Real* dw, std::size_t n,
                            std::size_t inner, std::size_t cols, Precision precision) {
    ensure_single_threaded_blas();
    if constexpr (std::is_same_v<Real, float>) {
        if (cols <= kNarrowSide || inner <= kNarrowSide)
            return narrow_matmul_backward_weight(x, dy, dw, n, inner, cols,
                                                 rounds_to_bf16(precision));
    }
    if (rounds_to_bf16(precision)) {
        if constexpr (std::is_same_v<Real, float>) {
            return gemm_bf16(precision, CblasTrans, CblasNoTrans, inner, cols, n, x, inner, dy, cols, 1.0f,
                             dw, cols);
        } else {
            const auto x16 = rounded_to_bf16(x, n * inner);
            return matmul_backward_weight(x16.data(), dy, dw, n, inner, cols);
        }
    }
    gemm(CblasTrans, CblasNoTrans, int(inner), int(cols), int(n), Real(1), x, int(inner), dy,
         int(cols), Real(1), dw, int(cols));
}

void blas_use_single_thread() { ensure_single_threaded_blas(); }

template void matmul<float>(const float*, const float*, float*, std::size_t, std::size_t,
                            std::size_t, float, Precision);
template void matmul<double>(const double*, const double*, double*, std::size_t, std::size_t,
                             std::size_t, double, Precision);
template void matmul_backward_input<float>(const float*, const float*, float*, std::size_t,
                                           std::size_t, std::size_t, float, Precision);
template void matmul_backward_input<double>(const double*, const double*, double*, std::size_t,
                                            std::size_t, std::size_t, double, Precision);
template void matmul_backward_weight<float>(const float*, const float*, float*, std::size_t,
                                            std::size_t, std::size_t, Precision);
template void matmul_backward_weight<double>(const double*, const double*, double*, std::size_t,
                                             std::size_t, std::size_t, Precision);

}  // namespace lrnn
