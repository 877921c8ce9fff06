// `lrnn eval` of a trained checkpoint on the validation text reproduces the val_loss that
// training logged for it (same chunking, same model core, same summation order).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli_util.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

double json_field(const std::string& text, const std::string& key) {
    const auto at = text.rfind("\"" + key + "\":");
    if (at == std::string::npos) return NAN;
    return std::stod(text.substr(at + key.size() + 3));
}

TEST(EvalCheckpoint, ReproducesTheLoggedValidationLossAndGenerates) {
    const test::TempDir temp;
    const fs::path dir = temp.path();
    const std::string text = test::read_text(test::write_corpus_slice(dir, 20000));
    // The validation part: the last 10% of the bytes (data.val_fraction 0.1).
    const std::size_t split = std::size_t(double(text.size()) * 0.9);
    std::ofstream(dir / "val.txt", std::ios::binary) << text.substr(split);
    std::ofstream(dir / "tiny.yaml") << "run: {name: e, dir: " << (dir / "runs").string() << "}\n"
                                     << "data: {path: corpus.txt, val_fraction: 0.1}\n"
                                     << "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2}\n"
                                     << "train: {max_steps: 10, batch_chunks: 4, eval_every: 0, eval_tokens: 0}\n"
                                     << "generate: {prompt: \"ROMEO:\"}\n";
    const auto train = test::run_lrnn("train " + (dir / "tiny.yaml").string() + " --no-sample");
    ASSERT_EQ(train.exit_code, 0) << train.err;
    const std::string metrics = test::read_text(dir / "runs" / "e" / "metrics.jsonl");
    const double logged = json_field(metrics, "val_loss");
    ASSERT_TRUE(std::isfinite(logged)) << metrics;

    for (const std::string& model : std::vector<std::string>{(dir / "runs" / "e").string(),
                                    (dir / "runs" / "e" / "checkpoints" / "step-000000010.ckpt").string()}) {
        const auto eval = test::run_lrnn("eval " + model + " --text " + (dir / "val.txt").string() + " --json");
        ASSERT_EQ(eval.exit_code, 0) << eval.err;
        const double measured = json_field(eval.out, "loss");
        EXPECT_NEAR(measured, logged, 1e-9 * logged) << eval.out << " vs " << metrics;
        EXPECT_NEAR(json_field(eval.out, "bits_per_byte"), json_field(metrics, "val_bpc"), 1e-9);
    }
    // The run's config says generate.seed: -1 ("random"): generate takes it, draws a seed and
    // says which.
    const auto gen = test::run_lrnn("generate " + (dir / "runs" / "e").string() + " --tokens 20");
    EXPECT_EQ(gen.exit_code, 0) << gen.err;
    EXPECT_FALSE(gen.out.empty());
    EXPECT_NE(gen.err.find("--seed"), std::string::npos) << gen.err;

    // Interactive: the text is what the user types, not the run's own generate.prompt ("ROMEO:"):
    // the state covers the line "a\n" and the 3 reply tokens, nothing else.
    std::ofstream(dir / "lines.txt") << "a\n";
    const std::string state = (dir / "chat.state").string();
    const auto chat = test::run_lrnn("generate " + (dir / "runs" / "e").string() +
                                         " --interactive --tokens 3 --temperature 0 --save-state " + state,
                                     "", (dir / "lines.txt").string());
    EXPECT_EQ(chat.exit_code, 0) << chat.err;
    EXPECT_NE(chat.err.find("state after 5 tokens"), std::string::npos) << chat.err;

    // A text that cannot be written (a full disk) is an error, exit 3, not a silent success.
    const std::string full = std::string(LRNN_BINARY) + " generate " + (dir / "runs" / "e").string() +
                             " --tokens 5 --seed 1 >/dev/full 2>" + (dir / "full.err").string();
    const int status = std::system(full.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 3) << status;
    EXPECT_NE(test::read_text(dir / "full.err").find("cannot write the text to standard output"), std::string::npos)
        << test::read_text(dir / "full.err");
    const std::string eval_full = std::string(LRNN_BINARY) + " eval " + (dir / "runs" / "e").string() + " --text " +
                                  (dir / "val.txt").string() + " >/dev/full 2>/dev/null";
    const int eval_status = std::system(eval_full.c_str());
    EXPECT_TRUE(WIFEXITED(eval_status) && WEXITSTATUS(eval_status) == 3) << eval_status;
}

}  // namespace
}  // namespace lrnn
