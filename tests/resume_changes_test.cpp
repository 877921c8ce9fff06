// Changing the course of a run on resume: the learning rate, schedule, length and intervals
// may change (printed, recorded in config.yaml's history, exact from there on); keys that
// would change the model, tokenizer or data are refused, each saying what it would change.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_util.hpp"
#include "tiny_run.hpp"
#include "config/train_config.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class ResumeChanges : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_);
        config_ = test::write_tiny_config(dir_, "rc.yaml",
                                          "train: {max_steps: 10, batch_chunks: 4, eval_tokens: 256, log_every: 1,\n"
                                          "        schedule: constant, lr: 0.002, keep_checkpoints: 20}\n");
    }
    std::string run_dir(const std::string& name) const { return (dir_ / "runs" / name).string(); }
    test::CommandResult fresh(const std::string& name) {
        return test::run_lrnn("train " + config_ + " --no-sample run.name=" + name);
    }
    static test::CommandResult resume(const std::string& what, const std::string& overrides) {
        return test::run_lrnn("train --resume " + what + " --no-sample " + overrides);
    }
    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

// The lr of each metrics row, by step.
std::map<long long, std::string> lr_by_step(const std::string& metrics) {
    std::map<long long, std::string> lrs;
    std::istringstream in(metrics);
    for (std::string line; std::getline(in, line);) {
        const auto s = line.find("\"step\": "), l = line.find("\"lr\": ");
        if (s == std::string::npos || l == std::string::npos) continue;
        lrs[std::atoll(line.c_str() + s + 8)] = line.substr(l + 6, line.find(',', l) - l - 6);
    }
    return lrs;
}

TEST_F(ResumeChanges, TheLearningRateChangesFromTheResumeOnAndIsRecorded) {
    ASSERT_EQ(fresh("b").exit_code, 0);
    const auto r = resume(run_dir("b"), "train.max_steps=20 train.lr=0.001 train.checkpoint_every=5");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("changed from step 10: train.lr 0.002 -> 0.001"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("changed from step 10: train.max_steps 10 -> 20"), std::string::npos) << r.err;
    const auto lrs = lr_by_step(test::read_text(run_dir("b") + "/metrics.jsonl"));
    ASSERT_EQ(lrs.size(), 20u);
    for (const auto& [step, lr] : lrs) EXPECT_EQ(lr, step <= 10 ? "0.002" : "0.001") << "step " << step;

    // config.yaml: the config now in force, then its history; it still loads.
    const std::string yaml = test::read_text(run_dir("b") + "/config.yaml");
    EXPECT_NE(yaml.find("  lr: 0.001\n"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("# history: changes made on resume"), std::string::npos) << yaml;
    EXPECT_NE(yaml.find("#   at step 10: train.lr 0.002 -> 0.001\n"), std::string::npos) << yaml;
    EXPECT_EQ(parse_train_config_text(yaml, "config.yaml").train.lr, 0.001);
    EXPECT_EQ(read_checkpoint(checkpoint_path(run_dir("b"), 20)).config_yaml, yaml) << "the checkpoint keeps it too";

    // Exact from there on: resumed again without changes from step 15, it ends on the same bits,
    // and the history is kept, not repeated.
    const Checkpoint through = read_checkpoint(checkpoint_path(run_dir("b"), 20));
    const auto again = resume(checkpoint_path(run_dir("b"), 15), "");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.err.find("changed from step"), std::string::npos) << again.err;
    const Checkpoint legs = read_checkpoint(checkpoint_path(run_dir("b"), 20));
    ASSERT_EQ(legs.params.size(), through.params.size());
    EXPECT_EQ(std::memcmp(legs.params.data(), through.params.data(), legs.params.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(legs.adam.v.data(), through.adam.v.data(), legs.adam.v.size() * sizeof(float)), 0);
    EXPECT_EQ(test::read_text(run_dir("b") + "/config.yaml"), yaml);
}

TEST_F(ResumeChanges, RefusalsSayWhatEachKeyWouldChange) {
    ASSERT_EQ(fresh("c").exit_code, 0);
    const std::string config_before = test::read_text(run_dir("c") + "/config.yaml");
    const std::pair<const char*, const char*> refused[] = {
        {"model.n_embd=32", "model.n_embd cannot change when resuming: it changes the model's shape"},
        {"data.tokenizer=word", "data.tokenizer cannot change when resuming: it changes the tokenizer"},
        {"data.val_fraction=0.2", "data.val_fraction cannot change when resuming: it changes the data"},
        {"train.batch_chunks=8", "train.batch_chunks cannot change when resuming: it changes what a step is"},
        {"run.seed=3", "run.seed cannot change when resuming: it changes the data order"},
    };
    for (const auto& [item, message] : refused) {
        const auto r = resume(run_dir("c"), std::string("train.max_steps=20 ") + item);
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    }
    const auto two = resume(run_dir("c"), "model.n_layer=2 data.path=" + config_);
    EXPECT_EQ(two.exit_code, 2);
    EXPECT_NE(two.err.find("model.n_layer cannot change when resuming: it changes the model's shape"), std::string::npos)
        << two.err;
    EXPECT_NE(two.err.find("data.path cannot change when resuming: it changes the data"), std::string::npos) << two.err;
    EXPECT_EQ(test::read_text(run_dir("c") + "/config.yaml"), config_before);
    // The course of the run may change: schedule and optimizer keys among them.
    const auto allowed = resume(run_dir("c"), "train.max_steps=12 train.schedule=cosine train.min_lr=0.0001 "
                                              "train.warmup_steps=1 train.grad_clip=2 train.weight_decay=0.01");
    EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
}

}  // namespace
}  // namespace lrnn
