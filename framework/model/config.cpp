#include "model/config.hpp"

#include <algorithm>
#include <sstream>

#include "core/error.hpp"

namespace lrnn {

namespace {
void require(bool ok, const std::string& message) {
    if (!ok) throw UserError("model config: " + message);
}
}  // namespace

void ModelConfig::validate() const {
    require(vocab_size >= 1, "vocab_size must be >= 1 (got " + std::to_string(vocab_size) + ")");
    require(n_layer >= 1, "n_layer must be >= 1 (got " + std::to_string(n_layer) + ")");
    require(n_embd >= 1, "n_embd must be >= 1 (got " + std::to_string(n_embd) + ")");
    require(n_head >= 1, "n_head must be >= 1 (got " + std::to_string(n_head) + ")");
    require(n_embd % n_head == 0, "n_embd (" + std::to_string(n_embd) +
                                      ") must be divisible by n_head (" + std::to_string(n_head) +
                                      ")");
    require(ctx_len >= 2, "ctx_len must be >= 2 (got " + std::to_string(ctx_len) + ")");
    require(decay_lora_rank >= 1,
            "decay_lora_rank must be >= 1 (got " + std::to_string(decay_lora_rank) + ")");
    // Checked in double: n_embd * ffn_multiplier can overflow an int before any limit applies.
    const double ffn = double(n_embd) * ffn_multiplier;
    require(ffn_multiplier > 0 && ffn < double(1 << 18) + 1,
            "ffn_multiplier must be > 0 with floor(n_embd * ffn_multiplier) <= 2^18");
    require(ffn_hidden() >= 1, "ffn_multiplier is too small: floor(n_embd * ffn_multiplier) is 0");
    require(n_mem_slots >= 1, "n_mem_slots must be >= 1 (got " + std::to_string(n_mem_slots) + ")");
    // Sizes far beyond anything trainable on a CPU are a typo, not a wish; refusing them keeps
    // allocations (and products of sizes) well inside int range.
    require(n_embd <= 16384 && n_layer <= 1024 && ctx_len <= 1 << 20 && n_mem_slots <= 1024 &&
                decay_lora_rank <= 16384 && vocab_size <= 1 << 22,
            "sizes out of range (n_embd <= 16384, n_layer <= 1024, ctx_len <= 2^20, "
            "n_mem_slots <= 1024, decay_lora_rank <= 16384, vocab <= 2^22)");
}

ModelConfig auto_model_config(std::size_t corpus_bytes, bool word_tokenizer) {
    const std::size_t eff = corpus_bytes / (word_tokenizer ? 5 : 1);
    ModelConfig c;
    if (eff < 5000) {
        c.n_layer = 2, c.n_embd = 64, c.ctx_len = 64, c.decay_lora_rank = 4, c.ffn_multiplier = 1.5,
        c.n_mem_slots = 2;
    } else if (eff < 50000) {
        c.n_layer = 4, c.n_embd = 128, c.ctx_len = 128, c.decay_lora_rank = 8, c.ffn_multiplier = 2.0,
        c.n_mem_slots = 4;
    } else if (eff < 500000) {
        c.n_layer = 6, c.n_embd = 256, c.ctx_len = 256, c.decay_lora_rank = 16,
        c.ffn_multiplier = 2.5, c.n_mem_slots = 4;
    } else {
        c.n_layer = 8, c.n_embd = 384, c.ctx_len = 512, c.decay_lora_rank = 32,
        c.ffn_multiplier = 3.0, c.n_mem_slots = 8;
    }
    c.n_head = std::max(2, c.n_embd / 32);
    return c;
}

std::string describe(const ModelConfig& c) {
    std::ostringstream s;
    s << "vocab_size=" << c.vocab_size << " n_layer=" << c.n_layer << " n_embd=" << c.n_embd
      << " n_head=" << c.n_head << " ctx_len=" << c.ctx_len
      << " decay_lora_rank=" << c.decay_lora_rank << " ffn_multiplier=" << c.ffn_multiplier
      << " n_mem_slots=" << c.n_mem_slots;
    return s.str();
}

}  // namespace lrnn
