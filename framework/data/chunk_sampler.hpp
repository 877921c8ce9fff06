#pragma once
// Where the training chunks come from.
//
// The training tokens are cut into chunks of ctx_len + 1 tokens (inputs and next-token
// targets) that overlap by one token: chunk i starts at i * ctx_len, so every token after the
// first is a target exactly once per epoch. Each epoch visits the chunks in a seeded shuffle.
// The chunk at (epoch, position) is a pure function of (seed, epoch, position): resuming a run
// needs the epoch and the position only, no replay of the generator.
//
// Up to kStoredOrderChunks chunks per epoch the shuffle is a Fisher-Yates permutation kept in
// memory (4 bytes a chunk, drawn once per epoch). Above it (a corpus of hundreds of millions
// of tokens), keeping it would cost memory that grows with the corpus and a start that shuffles
// tens of millions of entries, so the position is mapped instead by a keyed Feistel network, a
// bijection computed per chunk in constant memory (cycle-walking onto [0, chunks)).

#include <cstdint>
#include <vector>

namespace lrnn {

inline constexpr std::size_t kStoredOrderChunks = std::size_t(1) << 22;  // a 16 MB order at most

class ChunkSampler {
public:
    ChunkSampler(std::size_t n_tokens, std::size_t ctx_len, std::uint64_t seed);

    std::size_t chunks_per_epoch() const { return n_chunks_; }
    std::size_t ctx_len() const { return ctx_len_; }

    // First token of the chunk at `position` (0 <= position < chunks_per_epoch) of `epoch`.
    std::size_t chunk_start(std::uint64_t epoch, std::size_t position);

private:
    void shuffle_for(std::uint64_t epoch);
    std::size_t feistel_index(std::uint64_t epoch, std::size_t position) const;

    std::size_t n_chunks_;
    std::size_t ctx_len_;
    std::uint64_t seed_;
    std::uint64_t order_epoch_ = UINT64_MAX;  // epoch whose order is in order_
    std::vector<std::uint32_t> order_;        // (n_chunks) permutation of the chunk indices
};

}  // namespace lrnn
