#include "generate/bench_shapes.hpp"

#include "core/error.hpp"

namespace lrnn {

LoadedModel benchmark_model(const std::string& shape) {
    ModelConfig c;
    c.vocab_size = 65;
    c.decay_lora_rank = 2;
    c.ffn_multiplier = 2.0;
    c.n_mem_slots = 4;
    if (shape == "small") {
        c.n_layer = 4, c.n_embd = 128, c.n_head = 4, c.ctx_len = 128;
    } else if (shape == "medium") {
        c.n_layer = 6, c.n_embd = 256, c.n_head = 8, c.ctx_len = 256;
    } else {
        throw UserError("--bench-shape must be small or medium (got '" + shape + "')");
    }
    c.validate();
    // The 65 characters of tinyshakespeare, the corpus these shapes are meant for.
    const std::string_view vocabulary =
        "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::vector<std::uint8_t> chars(vocabulary.begin(), vocabulary.end());
    Parameters<float> params(c);
    initialize_parameters<float>(params.layout, 1234, params.values);
    return LoadedModel{std::move(params), Tokenizer::from_chars(std::move(chars)),
                       "benchmark shape " + shape, ""};
}

}  // namespace lrnn
