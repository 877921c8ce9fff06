#include "train/batch_gradient.hpp"

#include <algorithm>
#include <cassert>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

namespace lrnn {

BatchGradient::BatchGradient(const ModelConfig& config, std::size_t max_chunk_tokens, Precision precision)
    : layout_(config), max_chunk_tokens_(max_chunk_tokens), precision_(precision) {
    // A CPU that can run no bf16 kernel refuses here, before the first step.
    if (rounds_to_bf16(precision)) Workspace<float>(config, 1, precision);
}

std::unique_ptr<BatchGradient::Buffer> BatchGradient::acquire() {
    {
        std::lock_guard lock(pool_mutex_);
        if (!pool_.empty()) {
            auto b = std::move(pool_.back());
            pool_.pop_back();
            return b;
        }
    }
    auto b = std::make_unique<Buffer>();
    b->values.assign(layout_.total_size(), 0.0f);
    b->view = make_view(layout_, b->values.data());
    return b;
}

void BatchGradient::release(std::unique_ptr<Buffer> buffer) {
    std::lock_guard lock(pool_mutex_);
    pool_.push_back(std::move(buffer));
}

LossSums BatchGradient::node(std::size_t lo, std::size_t hi, std::span<float> out,
                             const ModelView<float*>& out_view, bool out_is_zero) {
    if (hi - lo == 1) {
        auto& slot = workspaces_.local();
        if (!slot) slot = std::make_unique<Workspace<float>>(layout_.config(), max_chunk_tokens_, precision_);
        Workspace<float>& ws = *slot;
        ws.packed_weights = packed_.get();
        const std::span<const TokenId> chunk = chunks_[lo];
        const std::size_t T = chunk.size() - 1;
        if (!out_is_zero) std::fill(out.begin(), out.end(), 0.0f);
        model_forward(*params_, chunk.first(T), ws);
        const LossSums loss = model_loss(ws, chunk.subspan(1), label_smoothing_, grad_scale_);
        model_backward(*params_, chunk.first(T), ws, out_view);
        return loss;
    }
    const std::size_t mid = lo + (hi - lo) / 2;
    std::unique_ptr<Buffer> right = acquire();  // all zero
    LossSums left_loss, right_loss;
    tbb::parallel_invoke([&] { left_loss = node(lo, mid, out, out_view, out_is_zero); },
                         [&] { right_loss = node(mid, hi, right->values, right->view, true); });
    // Elementwise, so splitting it over threads changes no result. The right sum is zeroed as
    // it is read, so that it goes back to the pool as the next leaf needs it (instead of a
    // pass of its own over the whole buffer there).
    float* a = out.data();
    float* b = right->values.data();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, out.size(), 1 << 16),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t i = r.begin(); i < r.end(); ++i) {
                              a[i] += b[i];
                              b[i] = 0.0f;
                          }
                      });
    release(std::move(right));
    return LossSums{left_loss.optimized + right_loss.optimized, left_loss.plain + right_loss.plain,
                    left_loss.count + right_loss.count};
}

LossSums BatchGradient::compute(const Parameters<float>& params,
                                std::span<const std::span<const TokenId>> chunks, std::size_t lo,
                                std::size_t hi, double label_smoothing, double grad_scale) {
    if (!root_) root_ = acquire();
    return compute(params, chunks, lo, hi, label_smoothing, grad_scale, root_->values);
}

LossSums BatchGradient::compute(const Parameters<float>& params,
                                std::span<const std::span<const TokenId>> chunks, std::size_t lo,
                                std::size_t hi, double label_smoothing, double grad_scale,
                                std::span<float> out, Weights weights) {
    assert(lo < hi && hi <= chunks.size() && out.size() == layout_.total_size());
    for (std::size_t i = lo; i < hi; ++i) assert(chunks[i].size() >= 2 && chunks[i].size() - 1 <= max_chunk_tokens_);
    pack_weights(params, weights);
    const ModelView<const float*> view = params.view();
    params_ = &view;
    chunks_ = chunks;
    label_smoothing_ = label_smoothing;
    grad_scale_ = grad_scale;
    const LossSums loss = node(lo, hi, out, make_view(layout_, out.data()), false);
    params_ = nullptr;
    return loss;
}

void BatchGradient::pack_weights(const Parameters<float>& params, Weights weights) {
    if (!rounds_to_bf16(precision_)) return;  // fp32 products pack as they go (packed_weights.hpp)
    if (!packed_ || !packed_->packed_from(params)) {
        packed_ = std::make_unique<PackedWeights>(params, precision_,
                                                  PackedOrientations::ForwardAndBackward);
        return;
    }
    if (weights == Weights::AsLastCompute) return;
    // Each matrix is a copy of its own: packing them on any threads gives the same panels.
    tbb::parallel_for(std::size_t(0), packed_->size(), [&](std::size_t i) { packed_->repack(i); });
}

double mean_loss_scale(std::span<const std::span<const TokenId>> chunks) {
    std::size_t targets = 0;
    for (const auto& c : chunks) targets += c.size() - 1;
    return targets ? 1.0 / double(targets) : 0.0;
}

}  // namespace lrnn
