#pragma once
// Small helpers shared by the tests.

#include <tbb/global_control.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "model/model.hpp"
#include "train/batch_gradient.hpp"

namespace lrnn::test {

// A small model that exercises every path: n_head >= 2, slots >= 2, rank >= 2.
inline ModelConfig tiny_config() {
    ModelConfig c;
    c.vocab_size = 11;
    c.n_layer = 2;
    c.n_embd = 8;
    c.n_head = 2;
    c.ctx_len = 8;
    c.decay_lora_rank = 2;
    c.ffn_multiplier = 1.5;
    c.n_mem_slots = 3;
    return c;
}

// tiny_config widened to n_embd `width` (2 heads, decay rank 3, ctx_len 12), so that the
// products have more than one tile and edges, and the narrow matrices stay narrow.
inline ModelConfig wide_tiny_config(int width) {
    ModelConfig c = tiny_config();
    c.n_embd = width;
    c.n_head = 2;
    c.ctx_len = 12;
    c.decay_lora_rank = 3;
    return c;
}

// Spec initialisation plus noise, so that no gradient is zero by symmetry (LN biases of 0,
// mixes of exactly 0.5, ...).
template <typename Real>
Parameters<Real> noisy_parameters(const ModelConfig& config, std::uint64_t seed, double noise) {
    Parameters<Real> p(config);
    initialize_parameters<Real>(p.layout, seed, p.values);
    Rng rng(seed + 1);
    for (auto& v : p.values) v += Real(noise * rng.normal());
    return p;
}

inline std::vector<TokenId> random_tokens(std::size_t n, int vocab, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<TokenId> t(n);
    for (auto& id : t) id = TokenId(rng.below(vocab));
    return t;
}

// A batch of n_chunks random chunks of ctx_len + 1 tokens each (inputs plus the next token).
struct RandomBatch {
    std::vector<TokenId> tokens;
    std::vector<std::span<const TokenId>> chunks;
    RandomBatch(const ModelConfig& c, std::size_t n_chunks, std::uint64_t seed)
        : tokens(random_tokens(n_chunks * (c.ctx_len + 1), c.vocab_size, seed)) {
        for (std::size_t i = 0; i < n_chunks; ++i)
            chunks.push_back(std::span<const TokenId>(tokens).subspan(i * (c.ctx_len + 1), c.ctx_len + 1));
    }
};

// The mean-loss gradient of the whole batch, computed by BatchGradient on `threads` threads.
inline std::vector<float> batch_gradient(const Parameters<float>& p, const RandomBatch& b, int threads,
                                         Precision precision = Precision::Fp32) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    BatchGradient bg(p.config(), p.config().ctx_len, precision);
    bg.compute(p, b.chunks, 0, b.chunks.size(), 0.1, mean_loss_scale(b.chunks));
    return std::vector<float>(bg.gradient().begin(), bg.gradient().end());
}

// The logits of `tokens` run as one chunk: tokens.size() rows of vocab_size.
template <typename Real>
std::vector<Real> chunk_logits(const Parameters<Real>& p, std::span<const TokenId> tokens,
                               Precision precision = Precision::Fp32) {
    Workspace<Real> ws(p.config(), tokens.size(), precision);
    model_forward(p.view(), tokens, ws);
    return std::vector<Real>(ws.logits.begin(), ws.logits.begin() + tokens.size() * p.config().vocab_size);
}

// The same logits, run one token at a time through a carried state (step mode, as generation).
template <typename Real>
std::vector<Real> step_logits(const Parameters<Real>& p, std::span<const TokenId> tokens,
                              Precision precision = Precision::Fp32) {
    const std::size_t V = p.config().vocab_size;
    Workspace<Real> ws(p.config(), 1, precision);
    RecurrentState<Real> state(p.config());
    std::vector<Real> out;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        model_forward(p.view(), tokens.subspan(t, 1), ws, &state);
        out.insert(out.end(), ws.logits.begin(), ws.logits.begin() + V);
    }
    return out;
}

// Equal to the bit (0.0 and -0.0 differ; so would two NaNs with different payloads).
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace lrnn::test
