#include "data/chunk_sampler.hpp"

#include <cassert>
#include <numeric>

#include "core/rng.hpp"

namespace lrnn {

ChunkSampler::ChunkSampler(std::size_t n_tokens, std::size_t ctx_len, std::uint64_t seed)
    : n_chunks_(n_tokens > ctx_len ? (n_tokens - 1) / ctx_len : 0), ctx_len_(ctx_len), seed_(seed) {}

void ChunkSampler::shuffle_for(std::uint64_t epoch) {
    order_.resize(n_chunks_);
    std::iota(order_.begin(), order_.end(), 0u);
    Rng rng(Rng::mix(seed_, epoch));
    for (std::size_t i = n_chunks_; i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);
    order_epoch_ = epoch;
}

std::size_t ChunkSampler::chunk_start(std::uint64_t epoch, std::size_t position) {
    assert(position < n_chunks_);
    if (epoch != order_epoch_) shuffle_for(epoch);
    return std::size_t(order_[position]) * ctx_len_;
}

}  // namespace lrnn
