#pragma once
// Small helpers shared by the tests.

#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "model/model.hpp"

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

}  // namespace lrnn::test
