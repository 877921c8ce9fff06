// Invariant 2: step mode and chunk mode agree, and an imported seed model reproduces the
// golden logits of the original program (tests/data/char-small, see its README).

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "io/byte_reader.hpp"
#include "io/seed_model.hpp"
#include "io/token_file.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

const std::string kGolden = std::string(LRNN_TEST_DATA_DIR) + "/char-small";

std::vector<float> read_f32(const std::string& path) {
    const std::vector<char> bytes = read_file_bytes(path);
    std::vector<float> out(bytes.size() / sizeof(float));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
    return out;
}

TEST(Parity, StepModeEqualsChunkMode) {
    const ModelConfig config = test::tiny_config();
    const auto params = test::noisy_parameters<float>(config, 11, 0.3);
    const auto tokens = test::random_tokens(40, config.vocab_size, 5);
    const auto chunk = test::chunk_logits(params, tokens);
    const auto step = test::step_logits(params, tokens);
    ASSERT_EQ(chunk.size(), step.size());
    for (std::size_t i = 0; i < chunk.size(); ++i)
        EXPECT_LE(std::abs(chunk[i] - step[i]), 1e-5f * std::max(1.0f, std::abs(chunk[i]))) << i;
}

TEST(Parity, ChunkContinuedFromStateEqualsOneChunk) {
    // The state after a prefix, carried into the next chunk, gives the logits of one long chunk.
    const ModelConfig config = test::tiny_config();
    const auto params = test::noisy_parameters<double>(config, 13, 0.3);
    const auto tokens = test::random_tokens(23, config.vocab_size, 6);
    const auto whole = test::chunk_logits(params, tokens);
    Workspace<double> ws(config, tokens.size());
    RecurrentState<double> state(config);
    const std::size_t V = config.vocab_size;
    std::size_t at = 0;
    for (std::size_t piece : {2, 7, 1, 13}) {  // pieces shorter than the 4-step shift, too
        model_forward(params.view(), std::span(tokens).subspan(at, piece), ws, &state);
        for (std::size_t i = 0; i < piece * V; ++i)
            EXPECT_NEAR(ws.logits[i], whole[at * V + i], 1e-12) << "piece at " << at;
        at += piece;
    }
    EXPECT_EQ(at, tokens.size());
}

TEST(Parity, GoldenSeedModelLogitsAndLoss) {
    const ImportedModel model = read_seed_model(kGolden + "/model.bin");
    const ModelConfig& c = model.params.config();
    EXPECT_EQ(c.vocab_size, 61);
    EXPECT_EQ(c.n_layer, 2);
    EXPECT_EQ(c.n_embd, 64);
    EXPECT_EQ(c.n_head, 2);
    EXPECT_EQ(c.n_mem_slots, 4);
    const auto tokens = read_token_file(kGolden + "/tokens.txt", c.vocab_size);
    ASSERT_EQ(tokens.size(), 48u);

    // The tokenizer encodes text.txt to the same ids the seed wrote.
    std::ifstream text_in(kGolden + "/text.txt", std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(text_in)), {});
    EXPECT_EQ(model.tokenizer.encode(text), tokens);

    const auto golden_seq = read_f32(kGolden + "/golden.seq_logits.f32");
    const auto golden_step = read_f32(kGolden + "/golden.step_logits.f32");
    ASSERT_EQ(golden_seq.size(), 48u * 61u);
    const auto chunk = test::chunk_logits(model.params, tokens);
    const auto step = test::step_logits(model.params, tokens);
    double worst = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        worst = std::max(worst, double(std::abs(chunk[i] - golden_seq[i])));
        EXPECT_NEAR(chunk[i], golden_seq[i], 1e-4) << "chunk logit " << i;
        EXPECT_NEAR(step[i], golden_step[i], 1e-4) << "step logit " << i;
    }
    RecordProperty("max_abs_diff_vs_golden", std::to_string(worst));

    // Loss: mean plain cross-entropy of rows 0..46 against tokens 1..47, in double.
    Parameters<double> p64(c);
    std::copy(model.params.values.begin(), model.params.values.end(), p64.values.begin());
    Workspace<double> ws(c, 47);
    model_forward(p64.view(), std::span(tokens).first(47), ws);
    const LossSums loss = model_loss(ws, std::span(tokens).subspan(1), 0.0, 1.0);
    std::ifstream loss_in(kGolden + "/golden.loss.txt");
    double golden_loss = 0;
    loss_in >> golden_loss;
    EXPECT_NEAR(loss.plain / 47.0, golden_loss, 1e-5);
}

}  // namespace
}  // namespace lrnn
