// Fine-tuning (train.init_from): a new run starts from the weights of a run directory, a
// checkpoint, a seed model file or a safetensors export, with the source's tokenizer, on
// another corpus; it is recorded in config.yaml and summary.json and resumes bit-exactly.
// Model keys that disagree with the source, a corpus the source's vocabulary cannot encode and
// a changed init_from on resume are refused, each named.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_util.hpp"
#include "config/train_config.hpp"
#include "core/json.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;
using test::read_text;

const std::string kSeedModel = std::string(LRNN_TEST_DATA_DIR) + "/char-small/model.bin";

class FineTune : public testing::Test {
protected:
    void SetUp() override {
        std::ifstream in(std::string(LRNN_SOURCE_DIR) + "/data/tinyshakespeare.txt", std::ios::binary);
        std::string text(20000, '\0');
        in.read(text.data(), text.size());
        corpus_a_ = dir_.write("a.txt", text);
        // Another text with the same bytes: what a fine-tuning corpus is to its source.
        corpus_b_ = dir_.write("b.txt", text.substr(7000) + text.substr(0, 7000));
        runs_ = dir_.file("runs");
        fs::create_directories(runs_);
        config_ = dir_.write("c.yaml", "run: {dir: " + runs_ + "}\n"
                                       "data: {path: a.txt}\n"
                                       "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2}\n"
                                       "train: {max_steps: 6, batch_chunks: 4, eval_tokens: 256, log_every: 1,\n"
                                       "        schedule: constant, lr: 0.002, checkpoint_every: 3, keep_checkpoints: 20}\n");
        // The fine-tuning config: no model keys (they come from the source), another corpus.
        fine_config_ = dir_.write("f.yaml", "run: {dir: " + runs_ + "}\n"
                                            "data: {path: b.txt}\n"
                                            "train: {max_steps: 8, batch_chunks: 4, eval_tokens: 256, log_every: 1,\n"
                                            "        schedule: constant, lr: 0.001, checkpoint_every: 4, keep_checkpoints: 20}\n");
    }

    std::string run_dir(const std::string& name) const { return runs_ + "/" + name; }

    CommandResult train(const std::string& config, const std::string& name, const std::vector<std::string>& overrides = {}) {
        std::vector<std::string> args = {"train", config, "--no-sample", "run.name=" + name};
        args.insert(args.end(), overrides.begin(), overrides.end());
        return test::run_lrnn_args(args);
    }

    // A source run with checkpoints at steps 3 and 6.
    void train_source() {
        const CommandResult r = train(config_, "src");
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }

    CommandResult fine_tune(const std::string& name, const std::string& from,
                            const std::vector<std::string>& overrides = {}) {
        std::vector<std::string> all = {"train.init_from=" + from};
        all.insert(all.end(), overrides.begin(), overrides.end());
        return train(fine_config_, name, all);
    }

    // Fine-tunes from `from`, then resumes a copy of the run from its step-4 checkpoint; the two
    // end bit-identical. Returns the final parameters.
    std::vector<float> fine_tune_and_resume(const std::string& name, const std::string& from) {
        const CommandResult r = fine_tune(name, from);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("fine-tuning from"), std::string::npos) << r.err;
        const Checkpoint whole = read_checkpoint(checkpoint_path(run_dir(name), 8));
        const CommandResult resumed =
            test::run_lrnn_args({"train", "--resume", checkpoint_path(run_dir(name), 4), "--no-sample"});
        EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
        const Checkpoint again = read_checkpoint(checkpoint_path(run_dir(name), 8));
        EXPECT_EQ(again.params, whole.params) << name << ": the resumed fine-tuning run is not exact";
        EXPECT_EQ(again.adam.m, whole.adam.m);
        return whole.params;
    }

    test::TempDir dir_;
    std::string corpus_a_, corpus_b_, runs_, config_, fine_config_;
};

TEST_F(FineTune, FromARunDirectoryACheckpointAndItsSafetensorsExportAlike) {
    train_source();
    const std::string ckpt = checkpoint_path(run_dir("src"), 6);
    const CommandResult exported = test::run_lrnn_args({"export", run_dir("src"), "-o", dir_.file("export")});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;

    const std::vector<float> from_dir = fine_tune_and_resume("ft_dir", run_dir("src"));
    const std::vector<float> from_ckpt = fine_tune_and_resume("ft_ckpt", ckpt);
    const std::vector<float> from_st = fine_tune_and_resume("ft_st", dir_.file("export") + "/model.safetensors");
    // The same weights to start from, the same corpus and seed: the same run.
    EXPECT_EQ(from_dir, from_ckpt);
    EXPECT_EQ(from_dir, from_st);
    // It did start from the source: not the source's weights any more, nor a fresh init's.
    const Checkpoint source = read_checkpoint(ckpt);
    EXPECT_NE(from_dir, source.params);
    ASSERT_EQ(train(fine_config_, "scratch").exit_code, 0);  // the same config without init_from
    EXPECT_NE(read_checkpoint(checkpoint_path(run_dir("scratch"), 8)).params, from_dir);

    // Recorded: config.yaml holds the key (the file actually read), summary.json the same.
    const std::string yaml = read_text(run_dir("ft_dir") + "/config.yaml");
    const TrainConfig stored = parse_train_config_text(yaml, "config.yaml");
    EXPECT_EQ(stored.train.init_from, fs::absolute(ckpt).lexically_normal().string()) << yaml;
    EXPECT_EQ(stored.model.shape.n_embd, 16);
    const Json summary = parse_json(read_text(run_dir("ft_dir") + "/summary.json"), "summary.json");
    EXPECT_EQ(summary["init_from"], stored.train.init_from);
    const Json plain = parse_json(read_text(run_dir("src") + "/summary.json"), "summary.json");
    EXPECT_TRUE(plain["init_from"].is_null());
}

TEST_F(FineTune, FromASeedModelFile) {
    // The seed model's vocabulary is the 61 characters of its text: a corpus of those.
    std::string text;
    const std::string seed_text = read_text(std::string(LRNN_TEST_DATA_DIR) + "/char-small/text.txt");
    for (int i = 0; i < 120; ++i) text += seed_text;
    dir_.write("b.txt", text);
    fine_tune_and_resume("ft_seed", kSeedModel);
    const TrainConfig stored = parse_train_config_text(read_text(run_dir("ft_seed") + "/config.yaml"), "c");
    EXPECT_EQ(stored.model.shape.n_embd, 64);  // the seed model's shape
}

TEST_F(FineTune, ModelKeysMayRepeatTheSourceButNotDisagree) {
    train_source();
    EXPECT_EQ(fine_tune("same", run_dir("src"), {"model.n_embd=16", "model.n_layer=1", "model.ctx_len=8"}).exit_code, 0);
    const CommandResult r = fine_tune("differs", run_dir("src"), {"model.n_embd=32", "model.n_mem_slots=2"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("model.n_embd is 32 in the config but 16 in the source"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("n_mem_slots"), std::string::npos) << "n_mem_slots agrees: " << r.err;
    EXPECT_FALSE(fs::exists(run_dir("differs")));
    const CommandResult tok = fine_tune("tok", run_dir("src"), {"data.tokenizer=word"});
    EXPECT_EQ(tok.exit_code, 2);
    EXPECT_NE(tok.err.find("data.tokenizer is word in the config but the source's tokenizer is char"),
              std::string::npos) << tok.err;
}

TEST_F(FineTune, ACorpusTheSourceCannotEncodeIsRefusedNamingTheByte) {
    train_source();
    std::string text = read_text(corpus_b_);
    text[1234] = '\x01';
    dir_.write("b.txt", text);
    const CommandResult r = fine_tune("bad", run_dir("src"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("tokenizer cannot encode the corpus"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("at position 1234"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(run_dir("bad")));
}

TEST_F(FineTune, AMissingSourceAndAChangeOnResumeAreRefused) {
    const CommandResult missing = fine_tune("none", dir_.file("nothing.ckpt"));
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("train.init_from: "), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("no such file"), std::string::npos) << missing.err;

    train_source();
    ASSERT_EQ(fine_tune("ft", run_dir("src")).exit_code, 0);
    const CommandResult r = test::run_lrnn_args(
        {"train", "--resume", run_dir("ft"), "--no-sample", "train.init_from=" + kSeedModel});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("train.init_from cannot change when resuming"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lrnn
