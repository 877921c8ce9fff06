#pragma once
// Text generation on top of the model core (model-spec.md section 5): a fixed-size recurrent
// state carried from token to token, so each new token costs one step of O(1) work whatever
// the length of the text, and there is no context limit.
//
// The Generator keeps the logits after the last token it processed ("the prediction of the
// next token"). The first new token after a prompt is drawn from the logits after the LAST
// prompt token; a drawn token is then fed at once, so that at every moment the state covers
// exactly the text produced so far and the logits predict what follows it. That makes a
// saved state complete: loading it continues without refeeding anything.
//
// Nothing is allocated per token: the workspace, state and logits are sized at construction.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/rng.hpp"
#include "data/tokenizer.hpp"
#include "generate/sampler.hpp"
#include "model/bf16_weights.hpp"
#include "model/model.hpp"
#include "model/packed_weights.hpp"

namespace lrnn {

// Tokens per model_forward call when feeding a prompt. A chunk of T tokens turns T
// matrix-vector products into one matrix product (several times faster per token); the
// state is carried between chunks, so the logits are those of stepping token by token, up to
// float rounding. Capped below ctx_len because the workspace holds the whole forward cache
// of a chunk (tens of floats per channel per step per layer).
std::size_t default_prompt_chunk(const ModelConfig& config);

// What the one-token steps multiply by. Float32: the model's own weights, logits as in
// training (and as `lrnn eval` sees them). Bf16: a bfloat16 copy of the weights, half the
// bytes read per token, so about twice as fast when the weights do not fit in the caches;
// the logits then differ from float32's by the weights' rounding (at most 2^-8
// relative per weight).
// Prompt chunks (more than one token at a time) always use the float32 weights.
enum class WeightPrecision { Float32, Bf16 };

// "float32" | "bf16"; std::nullopt for anything else.
std::optional<WeightPrecision> parse_weight_precision(std::string_view text);
std::string_view weight_precision_name(WeightPrecision precision);

class Generator {
public:
    // params must outlive the Generator. prompt_chunk >= 1 (see default_prompt_chunk).
    // precision: of every product, prompt chunks and one-token steps alike (a bf16 step is the
    // same arithmetic as a bf16 chunk's row, core/gemm.hpp); with Bf16, `weights` is unused,
    // and the weight matrices are packed for the bf16 kernel here, once (PackedWeights,
    // forward: the bits of packing them per product, without the time).
    Generator(const Parameters<float>& params, std::size_t prompt_chunk,
              WeightPrecision weights = WeightPrecision::Float32,
              Precision precision = Precision::Fp32);

    const ModelConfig& config() const { return config_; }
    std::size_t prompt_chunk() const { return ws_.max_steps; }
    WeightPrecision weights() const { return bf16_weights_ ? WeightPrecision::Bf16 : WeightPrecision::Float32; }
    Precision precision() const { return ws_.precision; }  // of every product

    // Back to the zero state, no text processed.
    void reset();

    // Runs tokens through the model in chunks of up to prompt_chunk(), state carried.
    // Afterwards logits() predict the token after the last of them. Ids are checked against
    // the vocabulary (std::out_of_range): the model core only asserts them.
    void feed(std::span<const TokenId> tokens);

    // Draws the next token from logits() and feeds it; returns it. Requires has_logits().
    TokenId next(Sampler& sampler, Rng& rng);

    // Tokens processed since the zero state (prompts, generated tokens, a loaded state's).
    std::uint64_t position() const { return position_; }
    bool has_logits() const { return position_ > 0; }
    // (V) logits after the last processed token; meaningful when has_logits().
    std::span<const float> logits() const { return logits_; }

    const RecurrentState<float>& state() const { return state_; }

    // Puts the generator where a saved run left it. Sizes must match this model's
    // (std::invalid_argument otherwise; read_state_file has checked them already).
    void restore(std::span<const float> state, std::span<const float> logits,
                 std::uint64_t position);

private:
    void step(std::span<const TokenId> tokens);

    ModelConfig config_;
    ModelView<const float*> view_;  // built once: building a view allocates
    std::unique_ptr<const Bf16Weights> bf16_weights_;  // only with WeightPrecision::Bf16
    Workspace<float> ws_;           // max_steps = prompt chunk; generation uses T = 1
    std::unique_ptr<const PackedWeights> packed_weights_;  // only with a bf16 precision
    RecurrentState<float> state_;
    std::vector<float> logits_;     // (V)
    std::uint64_t position_ = 0;
};

// Draws n tokens one after the other, calling on_token(id) after each (to stream it out).
template <typename OnToken>
void generate_tokens(Generator& generator, Sampler& sampler, Rng& rng, std::int64_t n,
                     OnToken&& on_token) {
    for (std::int64_t i = 0; i < n; ++i) on_token(generator.next(sampler, rng));
}

// The text of one token, without allocating (a view into the tokenizer's vocabulary).
std::string_view token_text(const Tokenizer& tokenizer, TokenId id);

}  // namespace lrnn
