// compare's structured inputs and outputs: its live progress comes from the run's
// metrics.jsonl rows (never from the trainer's human progress text), and its output folder
// follows lrnn's one rule for output folders (the folder may be created, its parent must exist).

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "cli_util.hpp"
#include "error_of.hpp"
#include "compare/compare.hpp"
#include "compare/metrics_follower.hpp"
#include "compare/plan.hpp"
#include "compare/progress_line.hpp"
#include "core/error.hpp"
#include "io/output_folder.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

using test::error_of;

class CompareJson : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("lrnn_compare_json_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        test::write_corpus_slice(dir_, 6000);
        config_ = (dir_ / "tiny.yaml").string();
        std::ofstream(config_) << "run: {dir: " << (dir_ / "runs").string() << "}\n"
                               << "data: {path: corpus.txt}\n"
                               << "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2, decay_lora_rank: 2}\n"
                               << "train: {max_steps: 4, batch_chunks: 2, eval_every: 2, eval_tokens: 256, log_every: 1}\n";
    }
    void TearDown() override { fs::remove_all(dir_); }

    void append(const fs::path& file, const std::string& text) {
        std::ofstream(file, std::ios::app | std::ios::binary) << text;
    }

    fs::path dir_;
    std::string config_;
};

// ---------------------------------------------------------------- output folders

TEST_F(CompareJson, OutputFolderRuleCreatesOnlyTheLastFolder) {
    EXPECT_EQ(error_of([&] { check_output_folder_parent((dir_ / "new").string(), "--dir"); }), "");
    EXPECT_EQ(error_of([&] { check_output_folder_parent((dir_ / "new").string() + "/", "--dir"); }), "");
    EXPECT_EQ(error_of([&] { check_output_folder_parent("relative", "--dir"); }), "") << "parent: the current folder";
    EXPECT_EQ(error_of([&] { check_output_folder_parent("/", "--dir"); }), "");

    const std::string missing = (dir_ / "a" / "b" / "c").string();
    const std::string e = error_of([&] { check_output_folder_parent(missing, "--dir"); });
    EXPECT_NE(e.find("--dir " + missing + ": " + (dir_ / "a" / "b").string() + " does not exist"), std::string::npos) << e;
    EXPECT_NE(error_of([&] { check_output_folder_parent(missing + "/", "--dir"); }).find("does not exist"), std::string::npos);

    append(dir_ / "file", "x");
    const std::string under_file = error_of([&] { check_output_folder_parent((dir_ / "file" / "sub").string(), "--out"); });
    EXPECT_NE(under_file.find("--out " + (dir_ / "file" / "sub").string() + ": "), std::string::npos) << under_file;
    EXPECT_NE(under_file.find("is not a folder"), std::string::npos) << under_file;
    EXPECT_FALSE(fs::exists(dir_ / "a"));
}

TEST_F(CompareJson, CompareDirWithAMissingParentIsRefused) {
    const fs::path missing = dir_ / "a" / "b" / "c";
    const auto r = test::run_lrnn("compare " + config_ + " --steps 1 --dir " + missing.string());
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("lrnn compare: error: --dir " + missing.string() + ": " + (dir_ / "a" / "b").string() +
                         " does not exist"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "a")) << "nothing created";
    EXPECT_FALSE(fs::exists(dir_ / "runs"));

    // The folder itself may be new: planning into it is accepted (and creates nothing yet).
    CompareOptions options;
    options.arguments = {config_};
    options.steps = 1;
    options.name = "t";
    options.root = (dir_ / "new").string();
    EXPECT_EQ(plan_compare(options).out_dir, (dir_ / "new" / "t").string());
    options.root = missing.string();
    EXPECT_NE(error_of([&] { (void)plan_compare(options); }).find("does not exist"), std::string::npos);
}

// ---------------------------------------------------------------- following metrics.jsonl

TEST_F(CompareJson, FollowerReturnsTheNewestCompleteRow) {
    const fs::path file = dir_ / "metrics.jsonl";
    MetricsFollower follower(file.string());
    EXPECT_FALSE(follower.newest_row().has_value()) << "no file yet";

    append(file, "{\"step\": 1, \"loss\": 4.5, \"elapsed_s\": 0.5}\n{\"step\": 2, \"lo");
    auto row = follower.newest_row();
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->step, 1) << "the line still being written waits";
    EXPECT_FALSE(follower.newest_row().has_value()) << "nothing new";

    append(file, "ss\": 2.5, \"elapsed_s\": 1.0}\n{\"step\": 3, \"loss\": null}\n");
    row = follower.newest_row();
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->step, 3);
    EXPECT_FALSE(row->loss.has_value()) << "a skipped step logs null";

    append(file, "not json\n{\"step\": 4, \"loss\": 2.25}\n");
    row = follower.newest_row();
    ASSERT_TRUE(row.has_value()) << "a damaged line is skipped";
    EXPECT_EQ(row->step, 4);
    EXPECT_EQ(row->loss, 2.25);

    // A resume cuts the rows after its checkpoint: the file is read again from its start.
    std::ofstream(file, std::ios::trunc) << "{\"step\": 2, \"loss\": 3.0}\n";
    row = follower.newest_row();
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->step, 2);
}

TEST_F(CompareJson, LiveLineShowsTheNewestMetricsRow) {
    std::ostringstream live_out;
    ProgressLine live(live_out, true, 2);
    live.start(0, "x", "training");
    MetricsRow row;
    row.step = 20, row.loss = 3.40141, row.elapsed_s = 1.54;
    live.metrics_row(row);
    live.finish("done");
    EXPECT_EQ(live_out.str(), "\r\033[K[1/2] x  training\r\033[K[1/2] x  step 20  loss 3.4014  1.5 s\r\033[K[1/2] x  done\n");

    std::ostringstream plain_out;
    ProgressLine plain(plain_out, false, 2);
    plain.start(1, "y", "training");
    plain.metrics_row(row);
    plain.finish("done");
    EXPECT_EQ(plain_out.str(), "[2/2] y  training\n[2/2] y  done\n") << "off a terminal: two lines per run";
}

// A stand-in trainer whose human progress text says something else than its metrics rows:
// compare shows the rows.
TEST_F(CompareJson, ProgressComesFromMetricsNotFromTheTrainersText) {
    const fs::path run_dir = dir_ / "compare" / "t" / "runs" / "tiny";
    const fs::path program = dir_ / "fake-lrnn.sh";
    std::ofstream(program) << "#!/bin/sh\n"
                           << "mkdir -p " << run_dir.string() << "\n"
                           << "echo 'epoch 1 | step 999/999 | loss 9.9999 | 1 tok/s | 00:09 elapsed | ETA 00:00'\n"
                           << "printf '{\"step\": 7, \"loss\": 1.25, \"elapsed_s\": 0.5}\\n' >> " << run_dir.string()
                           << "/metrics.jsonl\n"
                           << "sleep 0.5\n"
                           << "echo 'lrnn train: error: a stand-in'\nexit 1\n";
    fs::permissions(program, fs::perms::owner_all);
    CompareOptions options;
    options.arguments = {config_};
    options.steps = 7;
    options.name = "t";
    options.root = (dir_ / "compare").string();
    options.train_program = program.string();
    std::ostringstream table, progress;
    const CompareResult result = run_compare(options, table, progress, true);
    EXPECT_EQ(result.exit_code, kCompareExitRunsFailed);
    EXPECT_NE(progress.str().find("[1/1] tiny  step 7  loss 1.2500  0.5 s"), std::string::npos) << progress.str();
    EXPECT_EQ(progress.str().find("999"), std::string::npos) << progress.str();
    EXPECT_EQ(progress.str().find("9.9999"), std::string::npos) << progress.str();
    EXPECT_NE(progress.str().find("a stand-in"), std::string::npos) << "the failure still names the child's error";
}

}  // namespace
}  // namespace lrnn
