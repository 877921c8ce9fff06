// lrnn train CONFIG --dry-run [--measure]: prints the resolved config, parameters per group
// and in total, memory, tokens per epoch and steps, and creates nothing; its parameter count
// is the one the trained run reports. With model.auto, the explicit keys that won are named,
// by the dry run and in one line by train itself.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "tiny_run.hpp"
#include "core/json.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;

class DryRun : public testing::Test {
protected:
    void SetUp() override {
        test::write_corpus_slice(dir_.path(), 20000, "a.txt");
        runs_ = dir_.file("runs");
        config_ = dir_.write("c.yaml", "run: {dir: " + runs_ + ", name: r}\n"
                                       "data: {path: a.txt}\n"
                                       "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2}\n"
                                       "train: {max_steps: 3, batch_chunks: 4, eval_tokens: 256}\n");
    }
    test::TempDir dir_;
    std::string runs_, config_;
};

std::string line_after(const std::string& text, const std::string& start) {
    const auto at = text.find(start);
    if (at == std::string::npos) return "";
    return text.substr(at + start.size(), text.find('\n', at) - at - start.size());
}

TEST_F(DryRun, CreatesNothingAndCountsTheParametersTheRunHas) {
    const CommandResult dry = test::run_lrnn_args({"train", config_, "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_FALSE(fs::exists(runs_)) << "a dry run creates no run directory";
    EXPECT_NE(dry.out.find("---- resolved config ----\nrun:\n"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("  n_embd: 16\n"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("  embedding (emb): "), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("memory needed: "), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("tokens per epoch: 17984 (1124 chunks of 16)"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("steps: 3 (train.max_steps)"), std::string::npos) << dry.out;
    const std::string parameters = line_after(dry.out, "parameters: ");
    ASSERT_FALSE(parameters.empty()) << dry.out;

    const CommandResult run = test::run_lrnn_args({"train", config_, "--no-sample"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json summary = parse_json(test::read_text(runs_ + "/r/summary.json"), "summary.json");
    EXPECT_EQ(std::to_string(summary["parameters"].get<long long>()), parameters);
}

// Every data.* key counts as the run reads it: here a bpe vocabulary of data.vocab_size pieces
// and a validation file of its own.
TEST_F(DryRun, CountsTheCorpusEveryDataKeyDescribes) {
    test::write_corpus_slice(dir_.path(), 4000, "v.txt");
    const std::vector<std::string> keys = {"data.tokenizer=bpe", "data.vocab_size=400", "data.val_path=" + dir_.file("v.txt")};
    std::vector<std::string> dry_args = {"train", config_, "--dry-run"};
    dry_args.insert(dry_args.end(), keys.begin(), keys.end());
    const CommandResult dry = test::run_lrnn_args(dry_args);
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("data: 24000 bytes, bpe tokenizer (400 tokens), "), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("(tokenized in memory for this count"), std::string::npos) << dry.out;
    EXPECT_FALSE(fs::exists(runs_)) << "a dry run creates nothing";

    std::vector<std::string> run_args = {"train", config_, "--no-sample"};
    run_args.insert(run_args.end(), keys.begin(), keys.end());
    const CommandResult run = test::run_lrnn_args(run_args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json summary = parse_json(test::read_text(runs_ + "/r/summary.json"), "summary.json");
    EXPECT_EQ(std::to_string(summary["parameters"].get<long long>()), line_after(dry.out, "parameters: "));
    // The run's own count of validation tokens, against the dry run's.
    const std::string validation = line_after(run.out + run.err, " training / ");
    ASSERT_FALSE(validation.empty()) << run.out << run.err;
    EXPECT_NE(dry.out.find(" training / " + validation.substr(0, validation.find(' ')) + " validation tokens"),
              std::string::npos) << dry.out << "\nrun: " << validation;
}

// After a run (or lrnn prepare) the dry run reads the counts from the token stores it left,
// tokenizing nothing, and gives the same report; it still writes nothing, and still measures.
TEST_F(DryRun, ReadsTheTokenStoresAnEarlierRunLeft) {
    const CommandResult before = test::run_lrnn_args({"train", config_, "--dry-run"});
    ASSERT_EQ(before.exit_code, 0) << before.err;
    const CommandResult run = test::run_lrnn_args({"train", config_, "--no-sample"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto listing = [&] {
        std::vector<std::string> files;
        for (const auto& e : fs::recursive_directory_iterator(runs_))
            files.push_back(e.path().string() + " " + std::to_string(e.is_regular_file() ? fs::file_size(e.path()) : 0));
        std::sort(files.begin(), files.end());
        return files;
    };
    const std::vector<std::string> files = listing();
    const CommandResult after = test::run_lrnn_args({"train", config_, "--dry-run", "--measure", "train.threads=1"});
    ASSERT_EQ(after.exit_code, 0) << after.err;
    EXPECT_NE(after.out.find("validation tokens (read from the token stores in " + runs_ + "/.token-stores/"),
              std::string::npos) << after.out;
    EXPECT_EQ(line_after(after.out, "data: ").substr(0, line_after(after.out, "data: ").find(" (")),
              line_after(before.out, "data: ").substr(0, line_after(before.out, "data: ").find(" (")));
    EXPECT_EQ(line_after(after.out, "parameters: "), line_after(before.out, "parameters: "));
    EXPECT_EQ(line_after(after.out, "tokens per epoch: "), line_after(before.out, "tokens per epoch: "));
    EXPECT_NE(after.out.find("measured: "), std::string::npos) << after.out;
    EXPECT_EQ(listing(), files) << "the dry run changed the run directory";

    // A corpus changed since: its stores are stale, so the dry run says so and counts the new text.
    std::ofstream(dir_.file("a.txt"), std::ios::app) << "A line more.\n";
    const CommandResult changed = test::run_lrnn_args({"train", config_, "--dry-run"});
    ASSERT_EQ(changed.exit_code, 0) << changed.err;
    EXPECT_NE(changed.out.find("is not usable ("), std::string::npos) << changed.out;
    EXPECT_NE(changed.out.find("stale"), std::string::npos) << changed.out;
    EXPECT_NE(changed.out.find("data: 20013 bytes, "), std::string::npos) << changed.out;
    EXPECT_NE(changed.out.find("(tokenized in memory for this count"), std::string::npos) << changed.out;
    EXPECT_EQ(listing(), files) << "the dry run changed the run directory";
}

// In bf16 the memory estimate counts the weights packed for each step (model/packed_weights.hpp),
// and the total grows by them; fp32 packs none.
TEST_F(DryRun, CountsTheBf16PackedWeightsInTheMemoryEstimate) {
    // (wide enough for the packed copies to show in MiB)
    const CommandResult fp32 = test::run_lrnn_args({"train", config_, "--dry-run", "model.n_embd=256"});
    const CommandResult bf16 =
        test::run_lrnn_args({"train", config_, "--dry-run", "model.n_embd=256", "train.precision=bf16"});
    ASSERT_EQ(fp32.exit_code, 0) << fp32.err;
    if (bf16.exit_code != 0) GTEST_SKIP() << "this CPU runs no bf16 product: " << bf16.err;
    EXPECT_EQ(fp32.out.find("bf16 packed weights"), std::string::npos) << fp32.out;
    EXPECT_NE(bf16.out.find(", bf16 packed weights "), std::string::npos) << bf16.out;
    const auto needed = [](const std::string& out) {
        return std::stod(line_after(out, "memory needed: "));
    };
    EXPECT_GT(needed(bf16.out), needed(fp32.out));
}

TEST_F(DryRun, NamesTheExplicitKeysThatWinOverModelAuto) {
    const CommandResult dry = test::run_lrnn_args({"train", config_, "--dry-run", "model.auto=true"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("model.auto for 20000 corpus bytes chose: n_layer=4 n_embd=128"), std::string::npos)
        << dry.out;
    EXPECT_NE(dry.out.find("explicit key wins: model.n_embd 16 (auto: 128)"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("  decay_lora_rank: 8\n"), std::string::npos) << "auto fills the keys not given";

    const CommandResult run = test::run_lrnn_args({"train", config_, "--no-sample", "model.auto=true"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string all = run.out + run.err;
    EXPECT_NE(all.find("model.auto: the config's own keys win over its choice: model.n_layer 1 (auto: 4), "
                       "model.n_embd 16 (auto: 128)"),
              std::string::npos) << all;
}

TEST_F(DryRun, MeasuresStepsWhenAsked) {
    const CommandResult dry = test::run_lrnn_args({"train", config_, "--dry-run", "--measure", "train.threads=1"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("measured: "), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find(" per step (forward + backward of 4 chunks on 1 threads)"), std::string::npos) << dry.out;
    EXPECT_FALSE(fs::exists(runs_));
}

TEST_F(DryRun, RefusesWhatItCannotLookAt) {
    const CommandResult measure = test::run_lrnn_args({"train", config_, "--measure"});
    EXPECT_EQ(measure.exit_code, 2);
    EXPECT_NE(measure.err.find("--measure only applies with --dry-run"), std::string::npos) << measure.err;
    const CommandResult resume = test::run_lrnn_args({"train", "--resume", runs_ + "/r", "--dry-run"});
    EXPECT_EQ(resume.exit_code, 2);
    EXPECT_NE(resume.err.find("--dry-run looks at a new run"), std::string::npos) << resume.err;
    const CommandResult bad = test::run_lrnn_args({"train", config_, "--dry-run", "model.ctx_len=30000"});
    EXPECT_EQ(bad.exit_code, 2) << bad.out;
    EXPECT_NE(bad.err.find("fewer than one chunk"), std::string::npos) << bad.err;
    EXPECT_FALSE(fs::exists(runs_));
}

}  // namespace
}  // namespace lrnn
