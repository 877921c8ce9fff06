#pragma once
// A bfloat16 copy of a float parameter set for generation with `--weights bf16` (core/bf16.hpp
// says why), found from the float pointer the model code already holds
// (model/forward_product.hpp). It mirrors the flat parameter buffer element for element: same
// offset, other buffer. It copies the values when made; the weights do not change while a
// Generator uses them (its params are read-only), and a model with other weights needs a new
// copy. (The packed copies of the weight matrices are model/packed_weights.hpp.)

#include <vector>

#include "core/bf16.hpp"
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


}  // namespace lrnn
