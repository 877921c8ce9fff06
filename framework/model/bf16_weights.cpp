#include "model/bf16_weights.hpp"

#include <algorithm>
#include <functional>

#include "core/gemm_narrow.hpp"

namespace lrnn {

Bf16Weights::Bf16Weights(const Parameters<float>& params)
    : float_begin_(params.values.data()),
      float_end_(params.values.data() + params.values.size()),
      values_(params.values.size()) {
    for (std::size_t i = 0; i < values_.size(); ++i) values_[i] = float_to_bf16(params.values[i]);
}

const Bf16* Bf16Weights::find(const float* weights) const {
    // std::less: a total order even for pointers into different arrays.
    const std::less<const float*> before;
    if (before(weights, float_begin_) || !before(weights, float_end_)) return nullptr;
    return values_.data() + (weights - float_begin_);
}

Bf16PackedWeights::Bf16PackedWeights(const Parameters<float>& params, Bf16GemmPath path) {
    // (narrow matrices, at most kNarrowSide columns, run core/gemm_narrow.hpp's loops, not the
    // tiles: there is nothing to pack for them)
    const auto multiplied = [](const TensorSpec& t) {
        return !t.is_vector() && t.name != "emb" && t.cols > kNarrowSide;
    };
    const auto& tensors = params.layout.tensors();
    const auto count = std::size_t(std::count_if(tensors.begin(), tensors.end(), multiplied));
    starts_.reserve(count);
    matrices_.reserve(count);
    for (const TensorSpec& t : tensors) {
        if (!multiplied(t)) continue;
        const float* w = params.values.data() + t.offset;
        starts_.push_back(w);
        matrices_.emplace_back(path, t.rows, t.cols, MatrixOperand{w, t.cols, 1});
    }
}

const Bf16PackedMatrix* Bf16PackedWeights::find(const float* weights) const {
    const auto at =
        std::lower_bound(starts_.begin(), starts_.end(), weights, std::less<const float*>());
    if (at == starts_.end() || *at != weights) return nullptr;
    return &matrices_[std::size_t(at - starts_.begin())];
}

}  // namespace lrnn
