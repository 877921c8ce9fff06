#include "generate/generator.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace lrnn {

std::size_t default_prompt_chunk(const ModelConfig& config) {
    // 64 steps already make the products matrix-shaped enough for the BLAS; beyond that the
    // cache memory grows (about 50 floats per channel per step per layer) for little gain.
    return std::size_t(std::clamp(config.ctx_len, 1, 64));
}

std::optional<WeightPrecision> parse_weight_precision(std::string_view text) {
    if (text == "float32") return WeightPrecision::Float32;
    if (text == "bf16") return WeightPrecision::Bf16;
    return std::nullopt;
}

std::string_view weight_precision_name(WeightPrecision precision) {
    return precision == WeightPrecision::Bf16 ? "bf16" : "float32";
}

Generator::Generator(const Parameters<float>& params, std::size_t prompt_chunk,
                     WeightPrecision weights, Precision precision)
    : config_(params.config()),
      view_(params.view()),
      bf16_weights_(weights == WeightPrecision::Bf16 ? std::make_unique<const Bf16Weights>(params)
                                                     : nullptr),
      ws_(params.config(), std::max<std::size_t>(prompt_chunk, 1), precision),
      packed_weights_(rounds_to_bf16(precision)
                          ? std::make_unique<const PackedWeights>(params, precision,
                                                                  PackedOrientations::Forward)
                          : nullptr),
      state_(params.config()),
      logits_(std::size_t(params.config().vocab_size), 0.0f) {
    ws_.bf16_weights = bf16_weights_.get();
    ws_.packed_weights = packed_weights_.get();
}

void Generator::reset() {
    state_.reset();
    std::fill(logits_.begin(), logits_.end(), 0.0f);
    position_ = 0;
}

void Generator::step(std::span<const TokenId> tokens) {
    model_forward(view_, tokens, ws_, &state_);
    const std::size_t V = logits_.size();
    std::copy_n(ws_.logits.data() + (tokens.size() - 1) * V, V, logits_.data());
    position_ += tokens.size();
}

void Generator::feed(std::span<const TokenId> tokens) {
    for (const TokenId id : tokens)
        if (id < 0 || id >= config_.vocab_size)
            throw std::out_of_range("token id " + std::to_string(id) + " outside the vocabulary of " +
                                    std::to_string(config_.vocab_size));
    const std::size_t chunk = ws_.max_steps;
    for (std::size_t at = 0; at < tokens.size(); at += chunk)
        step(tokens.subspan(at, std::min(chunk, tokens.size() - at)));
}

TokenId Generator::next(Sampler& sampler, Rng& rng) {
    if (!has_logits()) throw std::logic_error("Generator::next before any token was fed");
    const TokenId id = sampler.sample(logits_, rng);
    step(std::span<const TokenId>(&id, 1));
    return id;
}

void Generator::restore(std::span<const float> state, std::span<const float> logits,
                        std::uint64_t position) {
    if (state.size() != state_.flat().size() || logits.size() != logits_.size() || position == 0)
        throw std::invalid_argument("Generator::restore: sizes do not match this model");
    std::copy(state.begin(), state.end(), state_.flat().begin());
    std::copy(logits.begin(), logits.end(), logits_.begin());
    position_ = position;
}

std::string_view token_text(const Tokenizer& tokenizer, TokenId id) { return tokenizer.token_bytes(id); }

}  // namespace lrnn
