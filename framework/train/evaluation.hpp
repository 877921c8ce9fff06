#pragma once
// Loss of a model on a text, chunked as training validation: chunks of ctx_len + 1 tokens in
// order, overlapping by one token, each from a zero state, so every token after the first is
// predicted exactly once. Chunks run in parallel on the TBB workers; the sum is taken in
// chunk order, so the result does not depend on the number of threads.

#include <cstddef>
#include <optional>
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
    // With a tokenizer that has <unk> (word): the bytes of the predicted tokens that are <unk>
    // and their share of `bytes` (docs/formats.md, "Bits per byte and the <unk> share").
    std::optional<std::size_t> unk_bytes;
    std::optional<double> unk_share;
};

// token_bytes (one per token, from Tokenizer::encode) are the bytes of text behind each token;
// bits per byte count those of the predicted tokens (all but the first). unk_id
// (Tokenizer::unk_id) is the tokenizer's <unk>, if it has one: then the <unk> share is counted.
EvalResult evaluate(const Parameters<float>& params, std::span<const TokenId> tokens,
                    std::span<const std::uint32_t> token_bytes, std::size_t ctx_len,
                    std::optional<TokenId> unk_id = std::nullopt, Precision precision = Precision::Fp32);

// The share of the predicted tokens' bytes (all but the first token's) that fell into unk_id:
// 0 when there are no bytes.
struct UnkBytes {
    std::size_t unk_bytes = 0;
    std::size_t bytes = 0;
    double share() const { return bytes ? double(unk_bytes) / double(bytes) : 0.0; }
};
UnkBytes count_unk_bytes(std::span<const TokenId> tokens, std::span<const std::uint32_t> token_bytes, TokenId unk_id);

}  // namespace lrnn
