#include "core/gemm.hpp"

#include <cblas.h>

#include <cassert>

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
            std::size_t cols, Real beta) {
    ensure_single_threaded_blas();
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
                           std::size_t inner, std::size_t cols, Real beta) {
    ensure_single_threaded_blas();
    gemm(CblasNoTrans, CblasTrans, int(n), int(inner), int(cols), Real(1), dy, int(cols), w,
         int(cols), beta, dx, int(inner));
}

template <typename Real>
void matmul_backward_weight(const Real* x, const Real* dy, Real* dw, std::size_t n,
                            std::size_t inner, std::size_t cols) {
    ensure_single_threaded_blas();
    gemm(CblasTrans, CblasNoTrans, int(inner), int(cols), int(n), Real(1), x, int(inner), dy,
         int(cols), Real(1), dw, int(cols));
}

void blas_use_single_thread() { ensure_single_threaded_blas(); }

template void matmul<float>(const float*, const float*, float*, std::size_t, std::size_t,
                            std::size_t, float);
template void matmul<double>(const double*, const double*, double*, std::size_t, std::size_t,
                             std::size_t, double);
template void matmul_backward_input<float>(const float*, const float*, float*, std::size_t,
                                           std::size_t, std::size_t, float);
template void matmul_backward_input<double>(const double*, const double*, double*, std::size_t,
                                            std::size_t, std::size_t, double);
template void matmul_backward_weight<float>(const float*, const float*, float*, std::size_t,
                                            std::size_t, std::size_t);
template void matmul_backward_weight<double>(const double*, const double*, double*, std::size_t,
                                             std::size_t, std::size_t);

}  // namespace lrnn
