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

// A permutation of [0, 2^(2h)) by four Feistel rounds over h-bit halves, keyed by (seed,
// epoch, round), walked until it lands in [0, n_chunks_): a permutation of [0, n_chunks_)
// (the domain is below 4 n_chunks_, so a walk takes under four steps on average).
std::size_t ChunkSampler::feistel_index(std::uint64_t epoch, std::size_t position) const {
    int half_bits = 1;
    while ((std::uint64_t(1) << (2 * half_bits)) < n_chunks_) ++half_bits;
    const std::uint64_t mask = (std::uint64_t(1) << half_bits) - 1;
    const std::uint64_t key = Rng::mix(seed_, Rng::mix(epoch, 0x666569737465ULL));  // "feiste"
    std::uint64_t x = position;
    do {
        std::uint64_t left = x >> half_bits, right = x & mask;
        for (std::uint64_t round = 0; round < 4; ++round) {
            const std::uint64_t next = left ^ (Rng::mix(key + round, right) & mask);
            left = right;
            right = next;
        }
        x = left << half_bits | right;
    } while (x >= n_chunks_);
    return std::size_t(x);
}

std::size_t ChunkSampler::chunk_start(std::uint64_t epoch, std::size_t position) {
    assert(position < n_chunks_);
    if (n_chunks_ > kStoredOrderChunks) return feistel_index(epoch, position) * ctx_len_;
    if (epoch != order_epoch_) shuffle_for(epoch);
    return std::size_t(order_[position]) * ctx_len_;
}

}  // namespace lrnn
