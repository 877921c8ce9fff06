#pragma once
// AdamW with bias correction and decoupled weight decay (model-spec.md section 8).
// Weight decay applies to matrices only (embeddings, projections, head), not to the
// per-channel vectors (norm weights and biases, mixes, decays), as is usual.

#include <cstdint>
#include <span>
#include <vector>

#include "model/optimizer_state.hpp"
#include "model/parameters.hpp"

namespace lrnn {

struct AdamWSettings {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
};

class AdamW {
public:
    AdamW(const ParameterLayout& layout, AdamWSettings settings);

    // One update of params from grad_scale * grads at learning rate lr (grad_scale carries the
    // norm clipping, so the gradient is not rescaled in a pass of its own). Elementwise and
    // parallel over blocks: the result does not depend on the thread count.
    void update(std::span<float> params, std::span<const float> grads, double lr,
                float grad_scale = 1.0f);

    AdamWState& state() { return state_; }
    const AdamWState& state() const { return state_; }

private:
    AdamWSettings settings_;
    AdamWState state_;
    std::vector<std::uint8_t> decays_;  // (P) 1 where weight decay applies
};

// Global L2 norm of the gradient: fixed blocks summed in parallel (in double), then the block
// sums added in block order, so the result does not depend on the thread count.
double gradient_norm(std::span<const float> grads);

}  // namespace lrnn
