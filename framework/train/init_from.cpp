#include "train/init_from.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "io/model_loader.hpp"
#include "train/run_corpus.hpp"

namespace lrnn {

InitialWeights load_initial_weights(const std::string& init_from) {
    try {
        LoadedModel model = load_model(init_from);
        const std::string source = std::filesystem::absolute(model.source).lexically_normal().string();
        return InitialWeights{source, std::move(model.params), std::move(model.tokenizer)};
    } catch (const UserError& e) {
        throw UserError("train.init_from: " + std::string(e.what()));
    }
}

namespace {

std::string number_text(double value) {
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
    return text;
}

}  // namespace

void check_fine_tune_tokenizer(const TrainConfig& config, const InitialWeights& weights) {
    const std::string kind = to_string(weights.tokenizer.kind());
    if (config.explicit_keys.count("data.tokenizer") && config.data.tokenizer != kind)
        throw UserError("train.init_from " + weights.source + ": data.tokenizer is " + config.data.tokenizer +
                        " in the config but the source's tokenizer is " + kind +
                        "; a fine-tuning run uses the source's tokenizer (leave data.tokenizer out)");
}

Corpus fine_tune_corpus(const TrainConfig& config, const InitialWeights& weights) {
    check_fine_tune_tokenizer(config, weights);
    const std::string kind = to_string(weights.tokenizer.kind());
    try {
        return load_run_corpus(config, &weights.tokenizer);
    } catch (const UserError& e) {
        // A byte the source's vocabulary lacks is the fine-tuning's doing: say so. Anything
        // else (a missing file, a text too short) is the corpus's own problem, as without it.
        const std::string message = e.what();
        if (message.find("vocabulary") == std::string::npos) throw;
        throw UserError("train.init_from " + weights.source + ": the source's " + kind +
                        " tokenizer cannot encode the corpus: " + message);
    }
}

ModelConfig fine_tune_shape(const TrainConfig& config, const InitialWeights& weights) {
    ModelConfig shape = weights.params.config();
    const ModelConfig& given = config.model.shape;
    std::string mismatches;
    const auto agree = [&](const char* key, double want, double have) {
        if (config.explicit_keys.count(key) && want != have)
            mismatches += std::string(mismatches.empty() ? "" : "; ") + key + " is " + number_text(want) +
                          " in the config but " + number_text(have) + " in the source";
    };
    agree("model.n_layer", given.n_layer, shape.n_layer);
    agree("model.n_embd", given.n_embd, shape.n_embd);
    agree("model.n_head", given.n_head, shape.n_head);
    agree("model.decay_lora_rank", given.decay_lora_rank, shape.decay_lora_rank);
    agree("model.ffn_multiplier", given.ffn_multiplier, shape.ffn_multiplier);
    agree("model.n_mem_slots", given.n_mem_slots, shape.n_mem_slots);
    if (!mismatches.empty())
        throw UserError("train.init_from " + weights.source + ": " + mismatches +
                        "; leave the model keys out (they are taken from the source) or make them agree");
    // The chunk length is the run's to choose: it sizes no weight.
    if (config.explicit_keys.count("model.ctx_len")) shape.ctx_len = given.ctx_len;
    shape.validate();
    return shape;
}

}  // namespace lrnn
