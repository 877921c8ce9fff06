#pragma once
// Copies of a float parameter set for generation, each found from the float pointer the model
// code already holds (model/forward_product.hpp):
// - Bf16Weights, a bfloat16 copy for `--weights bf16` (core/bf16.hpp says why). It mirrors the
//   flat parameter buffer element for element: same offset, other buffer.
// - Bf16PackedWeights, every weight matrix packed once for the bf16 products of
//   `--precision bf16` (core/gemm_bf16.hpp), so that a step does not round and lay out every
//   matrix again.
// Both copy the values when they are made; the weights do not change while a Generator uses
// them (its params are read-only), and a model with other weights needs new copies.

#include <vector>

#include "core/bf16.hpp"
#include "core/gemm_bf16.hpp"
#include "model/model.hpp"

namespace lrnn {

class Bf16Weights {
public:
    // params must outlive this object (find() compares against its buffer).
    explicit Bf16Weights(const Parameters<float>& params);

    // The bf16 copy of the tensor that starts at `weights`, or nullptr when `weights` does
    // not point into the parameter buffer this copy was made from.
    const Bf16* find(const float* weights) const;

private:
    const float* float_begin_;
    const float* float_end_;
    std::vector<Bf16> values_;  // (total_size) same layout as Parameters::values
};

class Bf16PackedWeights {
public:
    // Every matrix of params but the embedding table (looked up, never multiplied) and the
    // narrow ones (at most kNarrowSide columns: core/gemm_narrow.hpp multiplies them), each
    // (rows, cols) of the table as b (k, n) of x @ W, in `path`'s panels. find() knows them
    // by their addresses in params' buffer.
    explicit Bf16PackedWeights(const Parameters<float>& params,
                               Bf16GemmPath path = best_bf16_gemm_path());

    // The packed copy of the matrix that starts at `weights`, or nullptr when no matrix of the
    // parameter buffer starts there.
    const Bf16PackedMatrix* find(const float* weights) const;

private:
    std::vector<const float*> starts_;         // ascending: the tensors' order in the buffer
    std::vector<Bf16PackedMatrix> matrices_;   // matrices_[i] starts at starts_[i]
};

}  // namespace lrnn
