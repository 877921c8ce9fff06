#pragma once
// A model small enough that files made from it keep the seed corpus tiny (a few KB each):
// the state-file target checks fuzzed states against it, and make_corpus writes its
// checkpoints, state files and seed model files from it. Deterministic: no random numbers.

#include <cstdint>
#include <vector>

#include "data/tokenizer.hpp"
#include "model/model.hpp"

namespace lrnn::fuzz {

inline ModelConfig tiny_config(int vocab_size) {
    ModelConfig c;
    c.vocab_size = vocab_size;
    c.n_layer = 1;
    c.n_embd = 4;
    c.n_head = 2;
    c.ctx_len = 8;
    c.decay_lora_rank = 1;
    c.ffn_multiplier = 2.0;
    c.n_mem_slots = 1;
    return c;
}

inline Tokenizer tiny_char_tokenizer() {
    return Tokenizer::from_chars({'\n', ' ', 'a', 'b', 'c', 'd'});
}

inline Tokenizer tiny_word_tokenizer() {
    return Tokenizer::from_words({"<unk>", "<pad>", " ", "\n", "to", "be"});
}

// Small weights in [-0.1, 0.1] from a fixed integer hash of the index.
inline Parameters<float> tiny_parameters(int vocab_size) {
    Parameters<float> p(tiny_config(vocab_size));
    for (std::size_t i = 0; i < p.values.size(); ++i)
        p.values[i] = float(int((std::uint32_t(i) * 2654435761u) % 2001u) - 1000) * 1e-4f;
    return p;
}

}  // namespace lrnn::fuzz
