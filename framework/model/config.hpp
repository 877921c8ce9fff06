#pragma once
// The model's shape (model-spec.md section 1).

#include <cstddef>
#include <string>

namespace lrnn {

struct ModelConfig {
    int vocab_size = 0;
    int n_layer = 2;
    int n_embd = 64;
    int n_head = 1;
    int ctx_len = 64;
    int decay_lora_rank = 2;
    double ffn_multiplier = 2.0;
    int n_mem_slots = 4;

    int ffn_hidden() const { return int(double(n_embd) * ffn_multiplier); }
    int head_dim() const { return n_embd / n_head; }

    // Throws UserError naming the first field that breaks a constraint of section 1.
    void validate() const;

    bool operator==(const ModelConfig&) const = default;
};

// Section 1's auto-configuration from the corpus size (vocab_size is left as it is).
ModelConfig auto_model_config(std::size_t corpus_bytes, bool word_tokenizer);

// "n_layer=2 n_embd=64 ..." for messages and logs.
std::string describe(const ModelConfig& config);

}  // namespace lrnn
