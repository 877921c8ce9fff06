// Starting a run over what an earlier start left behind, and write failures at the start.
// A full disk is simulated with a file-size limit (`ulimit -f`, in 512-byte blocks under
// /bin/sh; it binds root too, unlike permission bits): a write past it fails with EFBIG.
//   - A start that failed before its first checkpoint (exit 3) leaves a run directory with
//     nothing to resume; the next fresh start takes it over instead of asking for --force.
//   - A run directory with a checkpoint, a summary.json, a file lrnn did not make, or a run
//     in progress is still refused.
//   - A write failure while a resume rewrites config.yaml is exit code 3, not 2 (bad input).

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_util.hpp"
#include "tiny_run.hpp"
#include "io/run_directory.hpp"
#include "io/run_lock.hpp"
#include "train/run_start.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class RunStart : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_);
        config_ = test::write_tiny_config(dir_, "tiny.yaml",
                                          "train: {max_steps: 4, batch_chunks: 4, eval_every: 2, eval_tokens: 256, "
                                          "log_every: 2, checkpoint_every: 2}\n", "name: tiny, ");
    }

    // `lrnn train CONFIG ARGS` (no sample), under a file-size limit of `limit_bytes` if given.
    test::CommandResult train(const std::string& args, std::uint64_t limit_bytes = 0) const {
        const std::string limit = limit_bytes ? "ulimit -f " + std::to_string(limit_bytes / 512) + ";" : "";
        return test::run_lrnn("train " + config_ + " --no-sample " + args, limit);
    }
    test::CommandResult resume(const std::string& args, std::uint64_t limit_bytes = 0) const {
        const std::string limit = limit_bytes ? "ulimit -f " + std::to_string(limit_bytes / 512) + ";" : "";
        return test::run_lrnn("train --no-sample --resume " + run_dir() + " " + args, limit);
    }
    std::string run_dir(const std::string& name = "tiny") const { return (dir_ / "runs" / name).string(); }

    // Half a checkpoint of the tiny model: room for config.yaml, metrics.jsonl and the output.
    std::uint64_t half_a_checkpoint() const {
        const auto sizing = train("run.name=sizing train.max_steps=2");
        EXPECT_EQ(sizing.exit_code, 0) << sizing.err;
        return fs::file_size(checkpoint_path(run_dir("sizing"), 2)) / 2;
    }

    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

TEST_F(RunStart, AStartThatFailedBeforeItsFirstCheckpointDoesNotBlockItsRetry) {
    const std::uint64_t limit = half_a_checkpoint();
    const auto failed = train("", limit);
    ASSERT_EQ(failed.exit_code, 3) << failed.err;
    EXPECT_TRUE(contains(failed.err, "stopping: no checkpoint of this run could be saved")) << failed.err;
    ASSERT_TRUE(fs::exists(run_dir() + "/config.yaml"));
    EXPECT_TRUE(fs::is_empty(checkpoint_dir(run_dir())));
    EXPECT_TRUE(holds_nothing_to_resume(run_dir()));

    const auto retry = train("");
    ASSERT_EQ(retry.exit_code, 0) << retry.err;
    EXPECT_TRUE(contains(retry.err, "starting " + run_dir() + " again: it holds no checkpoint and no summary.json"))
        << retry.err;
    EXPECT_TRUE(fs::exists(checkpoint_path(run_dir(), 4)));
    EXPECT_TRUE(fs::exists(run_dir() + "/summary.json"));
    // Its metrics are the new run's alone.
    std::ifstream metrics(run_dir() + "/metrics.jsonl");
    int rows = 0;
    for (std::string line; std::getline(metrics, line);) ++rows;
    EXPECT_EQ(rows, 2);
    // Now it holds a checkpoint: refused as before.
    const auto again = train("");
    EXPECT_EQ(again.exit_code, 2) << again.err;
    EXPECT_TRUE(contains(again.err, "already exists; use --force")) << again.err;
}

TEST_F(RunStart, ARunDirectoryWithSomethingToKeepIsStillRefused) {
    const auto done = train("");
    ASSERT_EQ(done.exit_code, 0) << done.err;
    // A summary.json (a finished run whose checkpoints were moved away) is a result.
    for (const auto& e : fs::directory_iterator(checkpoint_dir(run_dir()))) fs::remove(e.path());
    EXPECT_FALSE(holds_nothing_to_resume(run_dir()));
    const auto with_summary = train("");
    EXPECT_EQ(with_summary.exit_code, 2) << with_summary.err;
    EXPECT_TRUE(contains(with_summary.err, "already exists; use --force")) << with_summary.err;

    // A file lrnn did not make.
    fs::remove(run_dir() + "/summary.json");
    std::ofstream(run_dir() + "/notes.txt") << "mine\n";
    EXPECT_FALSE(holds_nothing_to_resume(run_dir()));
    const auto foreign = train("");
    EXPECT_EQ(foreign.exit_code, 2) << foreign.err;
    EXPECT_TRUE(contains(foreign.err, "already exists; use --force")) << foreign.err;
    EXPECT_EQ(test::read_text(run_dir() + "/notes.txt"), "mine\n");

    // A run in progress that has not saved yet (here: its lock, held by this test).
    fs::remove(run_dir() + "/notes.txt");
    ASSERT_TRUE(holds_nothing_to_resume(run_dir()));
    {
        const RunLock in_progress(run_dir());
        const auto busy = train("");
        EXPECT_EQ(busy.exit_code, 2) << busy.err;
        EXPECT_TRUE(contains(busy.err, "is being trained by another lrnn train")) << busy.err;
        EXPECT_TRUE(fs::exists(run_dir() + "/config.yaml")) << "left as it was";
    }
    EXPECT_FALSE(holds_nothing_to_resume(run_dir("missing")));
}

TEST_F(RunStart, AFullDiskWhileResumeRewritesConfigYamlIsExitCode3) {
    const auto done = train("");
    ASSERT_EQ(done.exit_code, 0) << done.err;
    const std::string before = test::read_text(run_dir() + "/config.yaml");
    // generate.prompt may change on resume: a long one makes config.yaml outgrow the limit.
    const std::string prompt(40000, 'a');
    const auto r = resume("train.max_steps=6 generate.prompt=" + prompt, 16 * 1024);
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_TRUE(contains(r.err, run_dir() + "/config.yaml")) << r.err;
    EXPECT_TRUE(contains(r.err, "File too large")) << r.err;
    EXPECT_EQ(test::read_text(run_dir() + "/config.yaml"), before) << "the old config.yaml is kept";
    // With room, the same resume goes on.
    const auto again = resume("train.max_steps=6 generate.prompt=" + prompt);
    EXPECT_EQ(again.exit_code, 0) << again.err;
}

}  // namespace
}  // namespace lrnn
