#pragma once
// Choosing the next token from a row of logits (model-spec.md section 5): greedy when the
// temperature is 0, otherwise logits / temperature, then top-k, then top-p (nucleus), then a
// draw from the renormalised distribution. Buffers are sized once for the vocabulary, so a
// draw allocates nothing.

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.hpp"
#include "model/model.hpp"

namespace lrnn {

struct SamplingOptions {
    double temperature = 0.8;  // 0 = greedy (argmax); otherwise > 0
    std::int64_t top_k = 0;    // keep the k most probable tokens; 0 = off
    double top_p = 0.95;       // keep the most probable tokens until their mass reaches p; 1 = off

    // Throws UserError naming the first field out of range.
    void validate() const;
};

class Sampler {
public:
    Sampler(int vocab_size, const SamplingOptions& options);

    const SamplingOptions& options() const { return options_; }

    // The next token for logits (vocab_size). Greedy never touches rng; sampling draws exactly
    // one uniform number, so the same seed gives the same text. Ties (equal logits) go to the
    // lower id, so the choice is a function of the logits alone, never of a sort's whims.
    TokenId sample(std::span<const float> logits, Rng& rng);

    // The argmax, lowest id on ties.
    static TokenId greedy(std::span<const float> logits);

private:
    SamplingOptions options_;
    std::vector<double> weights_;  // (V) unnormalised probabilities of the candidates
    std::vector<TokenId> order_;   // (V) candidate ids, most probable first once filtered
};

}  // namespace lrnn
