#include "config/auto_overrides.hpp"

#include <cstdio>

namespace lrnn {

std::vector<std::string> keys_overriding_auto(const TrainConfig& config, const ModelConfig& table) {
    std::vector<std::string> out;
    if (!config.model.auto_size) return out;
    const ModelConfig& given = config.model.shape;
    const auto check = [&](const char* key, double mine, double automatic) {
        if (config.explicit_keys.count(key) && mine != automatic) {
            char buf[128];
            std::snprintf(buf, sizeof buf, "%s %g (auto: %g)", key, mine, automatic);
            out.push_back(buf);
        }
    };
    check("model.n_layer", given.n_layer, table.n_layer);
    check("model.n_embd", given.n_embd, table.n_embd);
    check("model.n_head", given.n_head, table.n_head);
    check("model.ctx_len", given.ctx_len, table.ctx_len);
    check("model.decay_lora_rank", given.decay_lora_rank, table.decay_lora_rank);
    check("model.ffn_multiplier", given.ffn_multiplier, table.ffn_multiplier);
    check("model.n_mem_slots", given.n_mem_slots, table.n_mem_slots);
    return out;
}

}  // namespace lrnn
