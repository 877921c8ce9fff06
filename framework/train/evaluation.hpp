#pragma once
// Loss of a model on a text, chunked as training validation: chunks of ctx_len + 1 tokens in
// order, overlapping by one token, each from a zero state, so every token after the first is
// predicted exactly once. Chunks run in parallel on the TBB workers; the sum is taken in
// chunk order, so the result does not depend on the number of threads.

#include <cstddef>
#include <span>

#include "data/tokenizer.hpp"
#include "model/model.hpp"

namespace lrnn {

struct EvalResult {
    double loss = 0;           // mean plain cross-entropy per predicted token (nats)
    double perplexity = 0;     // exp(loss)
    double bits_per_byte = 0;  // total bits / bytes of the predicted tokens' text
    std::size_t tokens = 0;    // predicted tokens
    std::size_t bytes = 0;     // bytes of their text
};

// token_bytes (one per token, from Tokenizer::encode) are the bytes of text behind each token;
// bits per byte count those of the predicted tokens (all but the first).
EvalResult evaluate(const Parameters<float>& params, std::span<const TokenId> tokens,
                    std::span<const std::uint32_t> token_bytes, std::size_t ctx_len);

}  // namespace lrnn
