// `lrnn compare` end to end through the real binary: a config trained by a child of the
// same program (/proc/self/exe) next to a run directory trained earlier, and the input
// errors that must stop a compare before anything trains (exit code 2).

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli_util.hpp"
#include "compare/plan.hpp"
#include "compare/reuse.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class CompareCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_, 6000);
        config_ = (dir_ / "tiny.yaml").string();
        std::ofstream(config_) << "run: {dir: " << (dir_ / "runs").string() << "}\n"
                               << "data: {path: corpus.txt}\n"
                               << "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2, decay_lora_rank: 2}\n"
                               << "train: {max_steps: 4, batch_chunks: 2, eval_every: 2, eval_tokens: 256, log_every: 1}\n"
                               << "generate: {tokens: 20, seed: 1}\n";
    }

    // `lrnn compare ARGS --dir TMP/compare` (outputs never go to the repository's compare/).
    test::CommandResult compare(const std::string& args) {
        return test::run_lrnn("compare " + args + " --dir " + (dir_ / "compare").string());
    }

    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

TEST_F(CompareCli, HelpNamesTheOptions) {
    const auto r = test::run_lrnn("compare --help");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const char* word : {"--sweep", "--budget", "--steps", "--name", "--dir", "Exit codes"})
        EXPECT_NE(r.out.find(word), std::string::npos) << word;
    EXPECT_NE(test::run_lrnn("--help").out.find("compare"), std::string::npos) << "listed among the recipes";
}

TEST_F(CompareCli, ConfigAndEarlierRunSideBySide) {
    // An earlier run, trained with a different learning rate, to be read as it is.
    const auto trained = test::run_lrnn("train " + config_ + " run.name=earlier train.lr=0.01 --no-sample");
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    const fs::path earlier = dir_ / "runs" / "earlier";

    const auto r = compare(config_ + " " + earlier.string() + " --name cli --steps 4");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const fs::path out = dir_ / "compare" / "cli";
    // The config trained into compare/cli/runs/tiny by the child, its output in train.log.
    EXPECT_TRUE(fs::exists(out / "runs" / "tiny" / "summary.json"));
    EXPECT_NE(test::read_text(out / "runs" / "tiny" / "train.log").find("done: 4 steps"), std::string::npos);
    EXPECT_FALSE(fs::exists(earlier / "train.log")) << "a run given as a directory is only read";
    // One progress line per run on stderr; the table and the report's path on stdout.
    EXPECT_NE(r.err.find("[1/2] tiny"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("[2/2] earlier"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("epoch 1 | step"), std::string::npos) << "the child's own progress stays in its log";
    EXPECT_NE(r.out.find("train.lr"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("0.002"), std::string::npos) << r.out;  // the config's default lr
    EXPECT_NE(r.out.find("0.01"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("best val loss"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(out.string() + "/report.html"), std::string::npos) << r.out;
    const std::string results = test::read_text(out / "results.json");
    EXPECT_NE(results.find("\"source\": \"read\""), std::string::npos) << results;
    EXPECT_NE(results.find("\"source\": \"trained\""), std::string::npos) << results;
    EXPECT_NE(results.find("\"differing_keys\": [\"train.lr\"]"), std::string::npos) << results;
    for (const char* f : {"report.md", "report.html", "train_loss_vs_time.svg", "val_loss_vs_step.svg"})
        EXPECT_TRUE(fs::exists(out / f)) << f;
}

TEST_F(CompareCli, BadInputIsExitCode2BeforeAnythingTrains) {
    struct Case {
        std::string args;
        std::string message;
    };
    fs::create_directories(dir_ / "not_a_run");
    const auto values = [](const std::string& key, int n) {  // key=1,2,...,n
        std::string spec = key + "=";
        for (int i = 1; i <= n; ++i) {
            if (i > 1) spec += ',';
            spec += std::to_string(i);
        }
        return spec;
    };
    const std::vector<Case> cases = {
        {config_ + " --sweep train.lr", "expected key=v1,v2"},
        {config_ + " --sweep train.lr=1e-3,,3e-3", "value 2 is empty"},
        {config_ + " --sweep train.lrr=1e-3,3e-3", "did you mean 'train.lr'?"},
        {config_ + " --sweep model.n_emb=16,32", "did you mean 'model.n_embd'?"},
        {(dir_ / "not_a_run").string(), "no metrics.jsonl"},
        {config_ + " --budget 5 --steps 3", "not both"},
        {config_ + " --steps 0", "--steps must be at least 1"},
        {config_ + " --name a/b", "--name 'a/b'"},
        {config_ + " nosuch.yaml", "'nosuch.yaml' is neither"},
        {"", "nothing to compare"},
        {config_ + " --name ''", "--name is empty"},
        {config_ + " --sweep " + values("run.seed", 40) + " --sweep " + values("generate.seed", 30), "1200 variants, at most 1000"},
        {config_ + " --budget inf", "finite positive number of seconds, got inf"},
        {config_ + " train.lr=abc", "no variant is a valid config"},
    };
    for (const Case& c : cases) {
        const auto r = compare(c.args);
        EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
        EXPECT_NE(r.err.find("lrnn compare: error: " ), std::string::npos) << c.args << "\n" << r.err;
        EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
    }
    EXPECT_FALSE(fs::exists(dir_ / "compare")) << "nothing trained, nothing written";
    EXPECT_FALSE(fs::exists(dir_ / "runs"));
}

// SIGTERM aimed at compare alone (what `timeout` or `kill` sends) reaches the training child as
// an interrupt: it saves a checkpoint, compare writes its reports, exits 130 and leaves no
// orphan; running the compare again resumes the run.
TEST_F(CompareCli, SigtermToCompareStopsTheRunWithACheckpoint) {
    const fs::path out = dir_ / "compare" / "term";
    const std::string script = (dir_ / "term.sh").string();
    std::ofstream(script) << "#!/bin/sh\n"
                          << LRNN_BINARY << " compare " << config_ << " --steps 1000000 train.epochs=1000000 train.checkpoint_every=20 --name term --dir "
                          << (dir_ / "compare").string() << " >/dev/null 2>" << (dir_ / "term.err").string() << " &\n"
                          << "pid=$!\n"
                          // until the run has saved a checkpoint: the trainer's handlers are in place
                          << "for i in $(seq 1 600); do ls " << (out / "runs" / "tiny" / "checkpoints").string()
                          << "/step-*.ckpt >/dev/null 2>&1 && break; sleep 0.1; done\n"
                          << "kill -TERM $pid\nwait $pid\necho $? >" << (dir_ / "term.rc").string() << "\n";
    ASSERT_EQ(std::system(("sh " + script).c_str()), 0);
    EXPECT_EQ(test::read_text(dir_ / "term.rc"), "130\n") << test::read_text(dir_ / "term.err");
    EXPECT_NE(test::read_text(dir_ / "term.err").find("interrupted (exit code 130)"), std::string::npos)
        << test::read_text(dir_ / "term.err");
    EXPECT_TRUE(fs::exists(out / "report.html"));
    const std::string results = test::read_text(out / "results.json");
    EXPECT_NE(results.find("\"unfinished\""), std::string::npos) << results;

    // Running the same compare again would resume the run from its checkpoint.
    CompareOptions again;
    again.arguments = {config_, "train.epochs=1000000", "train.checkpoint_every=20"};
    again.steps = 1000000;
    again.name = "term";
    again.root = (dir_ / "compare").string();
    const ComparePlan plan = plan_compare(again);
    ASSERT_EQ(plan.runs.size(), 1u);
    ASSERT_TRUE(plan.runs[0].expected.has_value()) << plan.runs[0].config_error;
    EXPECT_EQ(decide_reuse(plan.runs[0].run_dir, *plan.runs[0].expected).action, ReuseAction::Resume);
}

}  // namespace
}  // namespace lrnn
