// A resume that changes the course of a run says so in metrics.jsonl too: the first row written
// after it carries "changed" (flat text, so every reader of the rows keeps working), and no
// other row does.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "tiny_run.hpp"
#include "compare/run_reader.hpp"
#include "core/json.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class ResumeMetrics : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_);
        config_ = test::write_tiny_config(dir_, "rm.yaml",
                                          "train: {max_steps: 10, batch_chunks: 4, eval_tokens: 256, log_every: 1,\n"
                                          "        schedule: constant, lr: 0.002}\n");
    }
    std::string run_dir() const { return (dir_ / "runs" / "m").string(); }
    std::vector<Json> rows() const {
        std::vector<Json> out;
        std::istringstream in(test::read_text(run_dir() + "/metrics.jsonl"));
        for (std::string line; std::getline(in, line);) out.push_back(parse_json(line, "metrics.jsonl"));
        return out;
    }
    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

TEST_F(ResumeMetrics, TheFirstRowAfterAChangingResumeSaysWhatChanged) {
    ASSERT_EQ(test::run_lrnn("train " + config_ + " --no-sample run.name=m").exit_code, 0);
    const auto r = test::run_lrnn("train --resume " + run_dir() + " --no-sample train.max_steps=20 train.lr=0.001");
    ASSERT_EQ(r.exit_code, 0) << r.err;

    const std::vector<Json> all = rows();
    ASSERT_EQ(all.size(), 20u);
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].at("step").get<long long>(), static_cast<long long>(i + 1));
        if (i == 10)
            EXPECT_EQ(all[i].value("changed", ""), "train.max_steps 10 -> 20; train.lr 0.002 -> 0.001");
        else
            EXPECT_FALSE(all[i].contains("changed")) << "step " << i + 1;
    }

    // compare still reads the run, every row; a resume that changes nothing adds no field.
    const RunFiles files = read_run_files(run_dir());
    ASSERT_EQ(files.metrics.size(), 20u);
    EXPECT_EQ(files.metrics[10].step, 11);
    ASSERT_EQ(test::run_lrnn("train --resume " + run_dir() + " --no-sample train.max_steps=25").exit_code, 0);
    const std::vector<Json> longer = rows();
    ASSERT_EQ(longer.size(), 25u);
    EXPECT_EQ(longer[20].value("changed", ""), "train.max_steps 20 -> 25");
    EXPECT_EQ(read_run_files(run_dir()).metrics.size(), 25u);
}

// Changes that cannot change a number of the rows (threads, checkpointing) are in config.yaml's
// history only: metrics.jsonl stays equal to the uninterrupted run's.
TEST_F(ResumeMetrics, ThreadAndCheckpointChangesLeaveTheRowsAlone) {
    ASSERT_EQ(test::run_lrnn("train " + config_ + " --no-sample run.name=m train.max_steps=5 train.threads=2").exit_code, 0);
    const auto r = test::run_lrnn("train --resume " + run_dir() +
                                  " --no-sample train.max_steps=10 train.threads=1 train.checkpoint_every=2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<Json> all = rows();
    ASSERT_EQ(all.size(), 10u);
    EXPECT_EQ(all[5].value("changed", ""), "train.max_steps 5 -> 10");
    EXPECT_NE(test::read_text(run_dir() + "/config.yaml").find("train.threads"), std::string::npos);
}

}  // namespace
}  // namespace lrnn
