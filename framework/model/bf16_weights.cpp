#include "model/bf16_weights.hpp"

#include <functional>

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

}  // namespace lrnn
