#pragma once
// The data-parallel part of a training step: forward/backward of a batch of chunks on the
// oneTBB workers, and the sum of their gradients in an order fixed by the batch alone.
//
// The batch [0, B) is summed as a fixed binary tree: node [lo, hi) is split at
// mid = lo + (hi - lo) / 2, a leaf is one chunk's gradient, and a node's sum is
// (left sum) + (right sum), elementwise. Whichever thread computes whichever node, every
// float addition happens in the same order, so the result is bit-identical for any thread
// count (design invariant 3). Each worker thread owns one Workspace, allocated once;
// gradient buffers for right subtrees come from a pool that only grows to the peak number
// of live subtrees; a buffer goes back to it zeroed by the sum that reads it, so that the
// leaf that takes it next does not clear it (the pool's buffers are all zero). In bf16 and
// bf16_amx each compute() first rounds and packs the weight matrices for the step's products
// (model/packed_weights.hpp, forward W and backward W^T, in parallel), once for all the
// chunks; the chunks' products read them, the bits of packing them per product.

#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <tbb/enumerable_thread_specific.h>

#include "model/model.hpp"
#include "model/packed_weights.hpp"

namespace lrnn {

class BatchGradient {
public:
    // Whether params may have changed since the last compute() (an optimizer step), so that
    // bf16's packed weights must be packed again; AsLastCompute for a step's further tree
    // nodes (a rank of a distributed run sums several).
    enum class Weights { Changed, AsLastCompute };

    // precision: of every matrix product of the chunks' forward and backward passes.
    BatchGradient(const ModelConfig& config, std::size_t max_chunk_tokens,
                  Precision precision = Precision::Fp32);

    // Sum over chunks [lo, hi) of the batch of grad_scale * d(loss of chunk)/d(params), into
    // gradient() (flat, parameter layout). Each chunk holds T + 1 tokens: inputs then targets.
    // Returns the summed losses (same tree order).
    LossSums compute(const Parameters<float>& params, std::span<const std::span<const TokenId>> chunks,
                     std::size_t lo, std::size_t hi, double label_smoothing, double grad_scale);
    // The same sum into `out` (the parameter count of floats) instead of gradient(): e.g. the
    // slot of a distributed exchange (dist/gradient_exchange.hpp), so that it is not copied.
    LossSums compute(const Parameters<float>& params, std::span<const std::span<const TokenId>> chunks,
                     std::size_t lo, std::size_t hi, double label_smoothing, double grad_scale,
                     std::span<float> out, Weights weights = Weights::Changed);

    // The sum of the last compute() without `out` (empty before the first).
    std::span<const float> gradient() const {
        return root_ ? std::span<const float>(root_->values) : std::span<const float>();
    }
    std::span<float> gradient() { return root_ ? std::span<float>(root_->values) : std::span<float>(); }

private:
    struct Buffer {
        std::vector<float> values;  // (P)
        ModelView<float*> view;
    };
    std::unique_ptr<Buffer> acquire();
    void release(std::unique_ptr<Buffer> buffer);
    // The sum of chunks [lo, hi) into out; out_is_zero: out holds zeros already (a buffer of
    // the pool), else the first leaf clears it.
    LossSums node(std::size_t lo, std::size_t hi, std::span<float> out,
                  const ModelView<float*>& out_view, bool out_is_zero);
    // bf16: packs params' weights for this compute(), unless `weights` says they are packed
    // already (fp32: nothing).
    void pack_weights(const Parameters<float>& params, Weights weights);

    ParameterLayout layout_;
    std::size_t max_chunk_tokens_;
    Precision precision_;
    tbb::enumerable_thread_specific<std::unique_ptr<Workspace<float>>> workspaces_;
    std::mutex pool_mutex_;
    std::vector<std::unique_ptr<Buffer>> pool_;  // every buffer in it all zero
    std::unique_ptr<Buffer> root_;  // gradient(): allocated by the first compute() that uses it
    std::unique_ptr<PackedWeights> packed_;  // the weights of the current compute(), packed

    // Set for the duration of compute():
    const ModelView<const float*>* params_ = nullptr;
    std::span<const std::span<const TokenId>> chunks_;
    double label_smoothing_ = 0;
    double grad_scale_ = 0;
};

// grad_scale for a batch: one over the number of target tokens in it, so that the summed
// gradient is the gradient of the mean loss per token.
double mean_loss_scale(std::span<const std::span<const TokenId>> chunks);

}  // namespace lrnn
