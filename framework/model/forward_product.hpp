#pragma once
// The forward pass's products x @ W. Normally a CBLAS product (core/gemm.hpp); for a one-token
// step of a generator that asked for bf16 weights (Workspace::bf16_weights), a matrix-vector
// product over the bf16 copy of W instead. Chunks (T > 1) always use the float weights: a
// matrix product reuses each weight T times, so halving its bytes would gain nothing there.

#include <cstddef>
#include <type_traits>

#include "core/bf16.hpp"
#include "core/gemm.hpp"
#include "model/bf16_weights.hpp"
#include "model/workspace.hpp"

namespace lrnn {

// out (T, cols) = beta * out + x (T, inner) @ w (inner, cols)
template <typename Real>
void forward_product(const Workspace<Real>& ws, const Real* x, const Real* w, Real* out,
                     std::size_t T, std::size_t inner, std::size_t cols, Real beta = Real(0)) {
    if constexpr (std::is_same_v<Real, float>) {
        if (T == 1 && ws.bf16_weights != nullptr) {
            if (const Bf16* w16 = ws.bf16_weights->find(w)) {
                bf16_matvec(x, w16, out, inner, cols, beta);
                return;
            }
        }
    }
    matmul(x, w, out, T, inner, cols, beta);
}

}  // namespace lrnn
