// `lrnn train` end to end through the real binary on a tiny config.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli_util.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class TrainCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_);
        config_ = test::write_tiny_config(dir_, "tiny.yaml",
                                          "train: {max_steps: 8, batch_chunks: 4, eval_every: 4, eval_tokens: 256, log_every: 2}\n"
                                          "generate: {tokens: 40, prompt: \"ROMEO:\", seed: 3}\n", "name: tiny, ");
    }
    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

TEST_F(TrainCli, RunDirectoryMetricsAndForce) {
    const auto r = test::run_lrnn("train " + config_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path run = dir_ / "runs" / "tiny";
    for (const char* f : {"config.yaml", "metrics.jsonl", "summary.json", "samples/final.txt", "checkpoints/best.ckpt"})
        EXPECT_TRUE(fs::exists(run / f)) << f;
    EXPECT_TRUE(fs::exists(run / "checkpoints" / "step-000000008.ckpt"));
    // The sample is printed and starts with the prompt.
    EXPECT_NE(r.out.find("ROMEO:"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find(" threads"), std::string::npos) << "the effective thread count is printed";

    // Every metrics line is a JSON object with the documented fields; eval lines add val_*.
    const std::string check = "python3 -c \"import json,sys\n"
                              "rows=[json.loads(l) for l in open(sys.argv[1])]\n"
                              "assert [r['step'] for r in rows]==[2,4,6,8], rows\n"
                              "for r in rows:\n"
                              "  for k in ['step','epoch','lr','loss','grad_norm','tokens_per_s','elapsed_s']: assert k in r, k\n"
                              "ev=[r for r in rows if 'val_loss' in r]\n"
                              "assert [r['step'] for r in ev]==[4,8], ev\n"
                              "assert all('val_ppl' in r and 'val_bpc' in r for r in ev)\n"
                              "s=json.load(open(sys.argv[2])); assert s['steps']==8 and s['best_val_loss']>0\n"
                              "best=[r for r in ev if r['step']==s['best_step']][0]; assert abs(s['best_val_bpc']-best['val_bpc'])<1e-12*best['val_bpc'], (s, best)\n\" " +
                              (run / "metrics.jsonl").string() + " " + (run / "summary.json").string();
    EXPECT_EQ(std::system(check.c_str()), 0);

    // The resolved config names every key, with the model shape that was built.
    const std::string resolved = test::read_text(run / "config.yaml");
    EXPECT_NE(resolved.find("n_embd: 16"), std::string::npos);
    EXPECT_NE(resolved.find("lr: "), std::string::npos);

    // A second run into the same directory is refused, and nothing is touched...
    const auto before = fs::last_write_time(run / "metrics.jsonl");
    const auto again = test::run_lrnn("train " + config_);
    EXPECT_EQ(again.exit_code, 2) << again.err;
    EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
    EXPECT_NE(again.err.find("--force"), std::string::npos);
    EXPECT_EQ(fs::last_write_time(run / "metrics.jsonl"), before);
    // ...unless --force.
    const auto forced = test::run_lrnn("train " + config_ + " --force train.max_steps=4");
    EXPECT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_FALSE(fs::exists(run / "checkpoints" / "step-000000008.ckpt"));
    EXPECT_TRUE(fs::exists(run / "checkpoints" / "step-000000004.ckpt"));

    // --force replaces runs only: a folder that is not an lrnn run survives it.
    fs::create_directories(dir_ / "runs" / "notes");
    std::ofstream(dir_ / "runs" / "notes" / "keep.txt") << "mine\n";
    const auto other = test::run_lrnn("train " + config_ + " --force run.name=notes train.max_steps=2");
    EXPECT_EQ(other.exit_code, 2) << other.err;
    EXPECT_NE(other.err.find("holds 'keep.txt', which lrnn train did not make"), std::string::npos) << other.err;
    EXPECT_EQ(test::read_text(dir_ / "runs" / "notes" / "keep.txt"), "mine\n");
}

// A learning rate of 1e30 sends every weight to ~1e30 in the first step; from then on every
// loss overflows, every step is skipped, and train.max_skipped_in_a_row of them end the run
// with exit code 4 and a message that says what to do, instead of burning the whole budget.
TEST_F(TrainCli, DivergedRunStopsWithExitCode4) {
    const auto r = test::run_lrnn("train " + config_ +
                                  " --no-sample train.lr=1e30 train.min_lr=0 train.grad_clip=0 "
                                  "train.max_steps=40 train.max_skipped_in_a_row=3 train.checkpoint_every=1");
    EXPECT_EQ(r.exit_code, 4) << r.err;
    // No checkpoint is saved during the streak: the pruning (keep 3) would otherwise drop the
    // last good one for states that only produce non-finite losses.
    EXPECT_NE(r.err.find("not saving a checkpoint at step 2: the last 1 step(s) were skipped"), std::string::npos) << r.err;
    std::vector<std::string> saved;
    for (const auto& e : fs::directory_iterator(dir_ / "runs" / "tiny" / "checkpoints"))
        saved.push_back(e.path().filename().string());
    std::sort(saved.begin(), saved.end());
    EXPECT_EQ(saved, (std::vector<std::string>{"step-000000001.ckpt"})) << r.err;
    EXPECT_NE(r.err.find("training diverged: the last 3 steps"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("train.max_skipped_in_a_row = 3"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Lower train.lr"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("skipped so far"), std::string::npos) << "each skipped step is reported: " << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "runs" / "tiny" / "summary.json")) << "a diverged run has no summary";
    // 0 turns that stop off: the run goes to its end, skipping; but a run whose final
    // validation loss is not finite has still diverged: exit 4 after its summary.
    const auto off = test::run_lrnn("train " + config_ +
                                    " --no-sample --force train.lr=1e30 train.min_lr=0 train.grad_clip=0 "
                                    "train.max_steps=6 train.max_skipped_in_a_row=0");
    EXPECT_EQ(off.exit_code, 4) << off.err;
    EXPECT_NE(off.err.find("skipped so far"), std::string::npos) << off.err;
    EXPECT_NE(off.err.find("training diverged: the final validation loss is"), std::string::npos) << off.err;
    EXPECT_NE(off.err.find("5 of 6 steps were skipped"), std::string::npos) << off.err;
    EXPECT_TRUE(fs::exists(dir_ / "runs" / "tiny" / "summary.json"));
}

// A model far beyond this machine's memory is refused before anything is allocated or written,
// naming the size settings (instead of a bare "out of memory" part-way through).
TEST_F(TrainCli, AModelThatCannotFitInMemoryIsRefusedUpFront) {
    const auto r = test::run_lrnn("train " + config_ + " model.n_layer=1024 model.n_embd=16384");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("the model does not fit in memory: model.n_layer 1024, model.n_embd 16384"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("lower train.threads"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "runs" / "tiny")) << "nothing written";
}

TEST_F(TrainCli, NotATerminalPrintsPlainProgressLines) {
    const auto r = test::run_lrnn("train " + config_ + " --no-sample");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos);
    EXPECT_NE(r.err.find("step 2/8"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("step 8/8"), std::string::npos);
    EXPECT_NE(r.err.find("tok/s"), std::string::npos);
    EXPECT_NE(r.err.find("ETA"), std::string::npos);
    EXPECT_NE(r.err.find("best validation loss"), std::string::npos);
    EXPECT_EQ(r.out.find("sample"), std::string::npos);
}

TEST_F(TrainCli, OnATerminalOneLiveProgressLine) {
    // script(1) (bsdutils, essential in Debian) gives the program a pseudo-terminal.
    const std::string out = (dir_ / "tty.txt").string();
    const std::string cmd = "script -qc '" + std::string(LRNN_BINARY) + " train " + config_ +
                            " --no-sample' /dev/null > " + out + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    const std::string text = test::read_text(out);
    // The live line is redrawn in place (carriage return, erase line), never scrolled.
    EXPECT_NE(text.find("\r\033[Kepoch 1 | step"), std::string::npos) << text;
    EXPECT_NE(text.find("ETA"), std::string::npos);
    EXPECT_NE(text.find("done: 8 steps"), std::string::npos);
}

}  // namespace
}  // namespace lrnn
