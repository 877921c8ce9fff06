#pragma once
// The model's narrow float products: those with few outputs per row, or a weight gradient with
// few rows or columns (at most kNarrowSide): the decay LoRA (rank 2 by default) and the slot
// gates (4 slots by default). The blocked kernels (core/gemm_kernels.hpp, gemm_bf16.hpp) run
// register tiles of 8 x 32 (or 6 x 16), and a product with 2 or 4 columns wastes most of each;
// these loops run along the long side instead, vectorised (LRNN_VECTOR_CLONES), in a fixed
// order that depends on the shape alone:
//   - few outputs per row (x @ w with w (d, 4), dy @ w^T with w (4, d)): a dot product per
//     output over the long depth, in sum_in_lanes' 16 lanes;
//   - a weight gradient x^T @ dy with x or dy of few columns: the sum over the T rows added
//     in order, t = 0, 1, ..., into a zeroed sum, then dw += sum, as the blocked kernels merge.
// (A short depth, u @ B with B (2, d), stays on the blocked kernels, which are as fast there.)
// Each output row of a forward or backward input product depends on its input row alone, so
// one row (a generation step) gives a chunk row's bits, as the blocked products do.
//
// bf16_inputs (train.precision: bf16): both inputs are first rounded to bfloat16
// (float_to_bf16_flushed, as the bf16 kernels pack them), so each product of two inputs is
// exact in float and only the sums round, in the order above, on every CPU alike.

#include <cstddef>

namespace lrnn {

// At 4 columns a dot product per output is as fast as the tiles (18.1 against 18.8 us for
// 256 x 256 @ 256 x 4, best of 15 on this machine) and faster below; wider products, whose
// tiles waste less, stay on them.
inline constexpr std::size_t kNarrowSide = 4;

// out (n, cols) = beta * out + x (n, inner) @ w (inner, cols); cols <= kNarrowSide.
void narrow_matmul(const float* x, const float* w, float* out, std::size_t n, std::size_t inner,
                   std::size_t cols, float beta, bool bf16_inputs);

// dx (n, inner) = beta * dx + dy (n, cols) @ w^T, w (inner, cols); inner <= kNarrowSide.
void narrow_matmul_backward_input(const float* dy, const float* w, float* dx, std::size_t n,
                                  std::size_t inner, std::size_t cols, float beta,
                                  bool bf16_inputs);

// dw (inner, cols) += x^T (inner, n) @ dy (n, cols); inner or cols <= kNarrowSide.
void narrow_matmul_backward_weight(const float* x, const float* dy, float* dw, std::size_t n,
                                   std::size_t inner, std::size_t cols, bool bf16_inputs);

}  // namespace lrnn
