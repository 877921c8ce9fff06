#pragma once
// The model's matrix products, in the arithmetic the Workspace asks for (Workspace::precision:
// fp32, or bf16 inputs with float sums, core/gemm.hpp). Forward x @ W: normally a product of
// core/gemm.hpp; for a one-token step of an fp32 generator that asked for bf16 weights
// (Workspace::bf16_weights), a matrix-vector product over the bf16 copy of W instead. Chunks
// (T > 1) always use the float weights: a matrix product reuses each weight T times, so halving
// its bytes would gain nothing there. Where the Workspace holds the weights packed already for
// a bf16 precision (Workspace::packed_weights: a bf16 training step, a bf16 generator), the
// forward product and the input gradient dy @ W^T multiply by those: the bits of packing W or
// W^T in the product, without the packing. The weight gradient x^T @ dy follows the same
// precision.

#include <cstddef>
#include <type_traits>

#include "core/bf16.hpp"
#include "core/gemm.hpp"
#include "core/gemm_bf16.hpp"
#include "model/bf16_weights.hpp"
#include "model/packed_weights.hpp"
#include "model/workspace.hpp"

namespace lrnn {

// W (inner, cols) packed in ws's precision, or nullptr (none, another precision, or another
// shape at that address).
inline const PackedWeights::Matrix* packed_matrix(const Workspace<float>& ws, const float* w,
                                                  std::size_t inner, std::size_t cols) {
    if (ws.packed_weights == nullptr || ws.packed_weights->precision() != ws.precision)
        return nullptr;
    const PackedWeights::Matrix* packed = ws.packed_weights->find(w);
    return packed != nullptr && packed->rows == inner && packed->cols == cols ? packed : nullptr;
}

// out (T, cols) = beta * out + x (T, inner) @ w (inner, cols)
template <typename Real>
void forward_product(const Workspace<Real>& ws, const Real* x, const Real* w, Real* out,
                     std::size_t T, std::size_t inner, std::size_t cols, Real beta = Real(0)) {
    if constexpr (std::is_same_v<Real, float>) {
        if (T == 1 && ws.bf16_weights != nullptr && ws.precision == Precision::Fp32) {
            if (const Bf16* w16 = ws.bf16_weights->find(w)) {
                bf16_matvec(x, w16, out, inner, cols, beta);
                return;
            }
        }
        if (const PackedWeights::Matrix* packed = packed_matrix(ws, w, inner, cols)) {
            if (packed->forward)
                return bf16_sgemm_packed(T, MatrixOperand{x, inner, 1}, *packed->forward, beta,
                                         out, cols);
        }
    }
    matmul(x, w, out, T, inner, cols, beta, ws.precision);
}

// dx (T, inner) = beta * dx + dy (T, cols) @ w^T
template <typename Real>
void backward_input_product(const Workspace<Real>& ws, const Real* dy, const Real* w, Real* dx,
                            std::size_t T, std::size_t inner, std::size_t cols,
                            Real beta = Real(0)) {
    if constexpr (std::is_same_v<Real, float>) {
        if (const PackedWeights::Matrix* packed = packed_matrix(ws, w, inner, cols)) {
            if (packed->backward)
                return bf16_sgemm_packed(T, MatrixOperand{dy, cols, 1}, *packed->backward, beta,
                                         dx, inner);
        }
    }
    matmul_backward_input(dy, w, dx, T, inner, cols, beta, ws.precision);
}

// dw (inner, cols) += x^T (inner, T) @ dy (T, cols)
template <typename Real>
void backward_weight_product(const Workspace<Real>& ws, const Real* x, const Real* dy, Real* dw,
                             std::size_t T, std::size_t inner, std::size_t cols) {
    matmul_backward_weight(x, dy, dw, T, inner, cols, ws.precision);
}

}  // namespace lrnn
