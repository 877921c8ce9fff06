// train.early_stopping through the real binary: the run stops at the evaluation that runs
// out of patience, says why (final line, summary.json's stop_reason), and stops at the same
// step with the same bits when it was resumed on the way.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli_util.hpp"
#include "tiny_run.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class EarlyStopping : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_);
        // A constant learning rate: a run shortened by max_steps and extended on resume
        // takes the same steps as one run through.
        config_ = test::write_tiny_config(dir_, "es.yaml",
                                          "train: {max_steps: 20, batch_chunks: 4, eval_every: 2, eval_tokens: 256,\n"
                                          "        log_every: 1, schedule: constant, keep_checkpoints: 20}\n");
    }
    test::CommandResult train(const std::string& name, const std::string& overrides) {
        return test::run_lrnn("train " + config_ + " --no-sample run.name=" + name + " " + overrides);
    }
    std::string run_dir(const std::string& name) const { return (dir_ / "runs" / name).string(); }
    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

// min_delta 10 nats: only the first evaluation (from nothing) improves, so with patience 2
// the evaluations at steps 4 and 6 run out of it.
constexpr const char* kStopsAtSix = "train.early_stopping.patience=2 train.early_stopping.min_delta=10";

bool same_state(const Checkpoint& a, const Checkpoint& b) {
    return a.params.size() == b.params.size() &&
           std::memcmp(a.params.data(), b.params.data(), a.params.size() * sizeof(float)) == 0 &&
           std::memcmp(a.adam.m.data(), b.adam.m.data(), a.adam.m.size() * sizeof(float)) == 0 &&
           a.progress.step == b.progress.step && a.progress.best_step == b.progress.best_step;
}

TEST_F(EarlyStopping, StopsAtTheEvaluationThatRunsOutOfPatienceAndSaysWhy) {
    const auto r = train("a", kStopsAtSix);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("stopped early at step 6: the validation loss has not improved by more than "
                         "train.early_stopping.min_delta = 10 for 2 evaluations"),
              std::string::npos)
        << r.err;
    const std::string summary = test::read_text(run_dir("a") + "/summary.json");
    EXPECT_NE(summary.find("\"stop_reason\": \"early_stopping\""), std::string::npos) << summary;
    EXPECT_NE(summary.find("\"steps\": 6"), std::string::npos) << summary;
    const Checkpoint last = read_checkpoint(checkpoint_path(run_dir("a"), 6));
    EXPECT_TRUE(last.progress.finished);
    ASSERT_TRUE(last.progress.early_stopping.has_value()) << "record ESTP";
    EXPECT_EQ(last.progress.early_stopping->evals_since_improvement, 2);
    EXPECT_FALSE(fs::exists(checkpoint_path(run_dir("a"), 8)));

    // A run without early stopping goes its whole length, and says so.
    const auto full = train("full", "");
    ASSERT_EQ(full.exit_code, 0) << full.err;
    EXPECT_NE(test::read_text(run_dir("full") + "/summary.json").find("\"stop_reason\": \"completed\""),
              std::string::npos);
    EXPECT_FALSE(read_checkpoint(checkpoint_path(run_dir("full"), 20)).progress.early_stopping.has_value())
        << "no ESTP record when early stopping is off";

    // Resumed as it is, the stopped run stays stopped; with more patience it goes on (evaluations
    // at 8 and 10 count 3 and 4).
    const auto again = test::run_lrnn("train --resume " + run_dir("a") + " --no-sample");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("nothing to train"), std::string::npos) << again.err;
    EXPECT_FALSE(fs::exists(checkpoint_path(run_dir("a"), 8)));
    const auto patient = test::run_lrnn("train --resume " + run_dir("a") + " --no-sample train.early_stopping.patience=4");
    ASSERT_EQ(patient.exit_code, 0) << patient.err;
    EXPECT_NE(patient.err.find("stopped early at step 10"), std::string::npos) << patient.err;
}

// Interrupted before the stop (a shorter first leg), resumed, it stops where the run through
// did, with the same bits.
TEST_F(EarlyStopping, ResumeStopsAtTheSameStepWithTheSameState) {
    ASSERT_EQ(train("through", kStopsAtSix).exit_code, 0);
    const auto leg = train("legs", std::string(kStopsAtSix) + " train.max_steps=4");
    ASSERT_EQ(leg.exit_code, 0) << leg.err;
    EXPECT_EQ(read_checkpoint(checkpoint_path(run_dir("legs"), 4)).progress.early_stopping->evals_since_improvement, 1);
    const auto rest = test::run_lrnn("train --resume " + run_dir("legs") + " --no-sample train.max_steps=20");
    ASSERT_EQ(rest.exit_code, 0) << rest.err;
    EXPECT_NE(rest.err.find("stopped early at step 6"), std::string::npos) << rest.err;
    EXPECT_TRUE(same_state(read_checkpoint(checkpoint_path(run_dir("through"), 6)),
                           read_checkpoint(checkpoint_path(run_dir("legs"), 6))));
}

// Turned on at a resume (as for a checkpoint written before record ESTP existed), the count
// starts from the best evaluation so far, every train.eval_every steps.
TEST_F(EarlyStopping, TurnedOnAtResumeCountsFromTheBestEvaluation) {
    ASSERT_EQ(train("late", "train.max_steps=4").exit_code, 0);
    const Checkpoint at4 = read_checkpoint(checkpoint_path(run_dir("late"), 4));
    EXPECT_FALSE(at4.progress.early_stopping.has_value());
    ASSERT_EQ(at4.progress.best_step, 4) << "a tiny model still improving";
    const auto r = test::run_lrnn("train --resume " + run_dir("late") + " --no-sample train.max_steps=20 " + kStopsAtSix);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("changed from step 4: train.early_stopping.patience 0 -> 2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("stopped early at step 8"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lrnn
