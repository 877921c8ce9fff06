#include "io/model_config_codec.hpp"

#include <string>

namespace lrnn {

namespace {

const char* field_name(ConfigField field) {
    switch (field) {
        case ConfigField::VocabSize: return "vocab_size";
        case ConfigField::NLayer: return "n_layer";
        case ConfigField::NEmbd: return "n_embd";
        case ConfigField::NHead: return "n_head";
        case ConfigField::CtxLen: return "ctx_len";
        case ConfigField::DecayLoraRank: return "decay_lora_rank";
        case ConfigField::FfnMultiplier: return "ffn_multiplier";
        case ConfigField::NMemSlots: return "n_mem_slots";
    }
    return "?";
}

// The int32 fields; ffn_multiplier, the one float, is handled apart.
int ModelConfig::*int_field(ConfigField field) {
    switch (field) {
        case ConfigField::VocabSize: return &ModelConfig::vocab_size;
        case ConfigField::NLayer: return &ModelConfig::n_layer;
        case ConfigField::NEmbd: return &ModelConfig::n_embd;
        case ConfigField::NHead: return &ModelConfig::n_head;
        case ConfigField::CtxLen: return &ModelConfig::ctx_len;
        case ConfigField::DecayLoraRank: return &ModelConfig::decay_lora_rank;
        case ConfigField::NMemSlots: return &ModelConfig::n_mem_slots;
        case ConfigField::FfnMultiplier: break;
    }
    return nullptr;
}

}  // namespace

void write_model_config(ByteWriter& out, const ModelConfig& config, const ModelConfigLayout& layout) {
    for (const ConfigField field : layout.order) {
        if (field != ConfigField::FfnMultiplier)
            out.put<std::int32_t>(config.*int_field(field));
        else if (layout.ffn_float32)
            out.put<float>(float(config.ffn_multiplier));
        else
            out.put<double>(config.ffn_multiplier);
    }
}

ModelConfig read_model_config(ByteReader& in, const ModelConfigLayout& layout) {
    ModelConfig config;
    for (const ConfigField field : layout.order) {
        const std::string name = std::string(layout.field_prefix) + field_name(field);
        if (field != ConfigField::FfnMultiplier)
            config.*int_field(field) = in.read<std::int32_t>(name);
        else if (layout.ffn_float32)
            config.ffn_multiplier = in.read<float>(name);
        else
            config.ffn_multiplier = in.read<double>(name);
    }
    return config;
}

}  // namespace lrnn
