// train.precision: bf16 through the real binary: the run records its precision (config.yaml,
// summary.json); resuming from a mid-run checkpoint, or after SIGKILL, gives the bits of the
// uninterrupted run, also on another thread count and on the emulated bf16 path
// (LRNN_GEMM_BF16=emulated: a CPU without AVX512_BF16); a resume may not change the precision; lrnn eval and lrnn generate
// default to the run's precision and take --precision.

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli_util.hpp"
#include "core/cpu_features.hpp"
#include "core/gemm_bf16.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"
#include "tiny_run.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The weights and the optimizer state of two checkpoints have the same bits.
void expect_same_state(const Checkpoint& again, const Checkpoint& reference) {
    EXPECT_TRUE(test::same_bits(again.params, reference.params));
    EXPECT_TRUE(test::same_bits(again.adam.m, reference.adam.m));
    EXPECT_TRUE(test::same_bits(again.adam.v, reference.adam.v));
}

class Bf16Cli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        corpus_ = test::write_corpus_slice(dir_).string();
        config_ = (dir_ / "tiny.yaml").string();
        std::ofstream(config_) << "run: {name: tiny, dir: " << (dir_ / "runs").string() << "}\n"
                               << "data: {path: corpus.txt}\n"
                               << test::kTinyModelYaml
                               << "train: {max_steps: 20, batch_chunks: 4, eval_every: 10, eval_tokens: 256, "
                                  "log_every: 5, checkpoint_every: 5, threads: 2, precision: bf16}\n";
        run_ = (dir_ / "runs" / "tiny").string();
    }
    test::TempDir temp_;
    fs::path dir_;
    std::string corpus_, config_, run_;
};

TEST_F(Bf16Cli, RecordsThePrecisionAndResumesBitExactlyOnAnyThreadCountAndBf16Path) {
    const auto r = test::run_lrnn("train " + test::shell_quote(config_) + " --no-sample");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "precision bf16: matrix products on bf16 inputs")) << r.out << r.err;
    EXPECT_TRUE(contains(test::read_text(run_ + "/config.yaml"), "precision: \"bf16\""));
    EXPECT_TRUE(contains(test::read_text(run_ + "/summary.json"), "\"precision\":\"bf16\"") ||
                contains(test::read_text(run_ + "/summary.json"), "\"precision\": \"bf16\""))
        << test::read_text(run_ + "/summary.json");
    const Checkpoint reference = read_checkpoint(checkpoint_path(run_, 20));

    // From step 10, on one thread, with the float-FMA emulation of vdpbf16ps.
    const auto resumed = test::run_lrnn("train --resume " + test::shell_quote(checkpoint_path(run_, 10)) +
                                            " train.threads=1 --no-sample",
                                        "LRNN_GEMM_BF16=emulated");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
    EXPECT_TRUE(contains(resumed.out + resumed.err, "(emulated kernel)")) << resumed.out << resumed.err;
    expect_same_state(read_checkpoint(checkpoint_path(run_, 20)), reference);
    EXPECT_EQ(read_checkpoint(checkpoint_path(run_, 20)).progress.step, 20);

    // The same run in fp32 ends elsewhere: bf16 was in effect.
    const auto fp32 = test::run_lrnn("train " + test::shell_quote(config_) +
                                     " --no-sample run.name=fp32 train.precision=fp32");
    ASSERT_EQ(fp32.exit_code, 0) << fp32.out << fp32.err;
    EXPECT_FALSE(test::same_bits(read_checkpoint(checkpoint_path((dir_ / "runs" / "fp32").string(), 20)).params,
                           reference.params));
}

// SIGKILL while the checkpoint of step 15 is half written (the test hook stalls each write
// halfway), then resume from the newest complete one (step 10) on the emulated path: the
// uninterrupted run's bits.
TEST_F(Bf16Cli, KilledThenResumedOnTheEmulatedPathIsBitExact) {
    ASSERT_EQ(test::run_lrnn("train " + test::shell_quote(config_) + " --no-sample").exit_code, 0);
    const Checkpoint reference = read_checkpoint(checkpoint_path(run_, 20));
    const std::string killed = (dir_ / "runs" / "killed").string();
    const auto k = test::run_shell(
        "LRNN_TEST_STALL_CHECKPOINT_MS=400 " + test::shell_quote(LRNN_BINARY) + " train " +
        test::shell_quote(config_) + " --no-sample run.name=killed & pid=$!; " +
        "for i in $(seq 1000); do [ -e " + test::shell_quote(checkpoint_path(killed, 10)) +
        " ] && break; sleep 0.01; done; sleep 0.1; kill -9 $pid; wait $pid; echo exit $?");
    EXPECT_TRUE(contains(k.out, "exit 137")) << k.out << k.err;
    ASSERT_TRUE(fs::exists(checkpoint_path(killed, 10)));
    ASSERT_FALSE(fs::exists(checkpoint_path(killed, 20))) << "the run was not killed before its end";
    const auto resumed = test::run_lrnn("train --resume " + test::shell_quote(killed) + " --no-sample",
                                        "LRNN_GEMM_BF16=emulated");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
    expect_same_state(read_checkpoint(checkpoint_path(killed, 20)), reference);
}

// bf16_amx, on a CPU with AMX: wide enough for whole groups of 16 pairs (d = 64, T = 48), the
// run records it, and resuming from step 10 on one thread gives the uninterrupted run's bits,
// which are not bf16's.
TEST_F(Bf16Cli, ABf16AmxRunResumesBitExactlyOnAnotherThreadCount) {
    if (!bf16_gemm_path_available(Bf16GemmPath::Amx))
        GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") cannot run AMX-BF16 tiles";
    const std::string wide = " model.n_embd=64 model.ctx_len=48 --no-sample";
    const auto r = test::run_lrnn("train " + test::shell_quote(config_) + " train.precision=bf16_amx" + wide);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "precision bf16_amx: matrix products on bf16 inputs with float sums (amx kernel)"))
        << r.out << r.err;
    EXPECT_TRUE(contains(test::read_text(run_ + "/config.yaml"), "precision: \"bf16_amx\""));
    const Checkpoint reference = read_checkpoint(checkpoint_path(run_, 20));
    const auto resumed = test::run_lrnn("train --resume " + test::shell_quote(checkpoint_path(run_, 10)) +
                                        " train.threads=1 --no-sample");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
    expect_same_state(read_checkpoint(checkpoint_path(run_, 20)), reference);
    const auto bf16 = test::run_lrnn("train " + test::shell_quote(config_) + " run.name=bf16" + wide);
    ASSERT_EQ(bf16.exit_code, 0) << bf16.out << bf16.err;
    EXPECT_FALSE(test::same_bits(read_checkpoint(checkpoint_path((dir_ / "runs" / "bf16").string(), 20)).params,
                                 reference.params));
    // eval follows the run's precision.
    const auto own = test::run_lrnn("eval " + test::shell_quote(run_) + " --text " + test::shell_quote(corpus_) + " --json");
    EXPECT_EQ(own.exit_code, 0) << own.err;
    EXPECT_TRUE(contains(own.out, "\"precision\":\"bf16_amx\"")) << own.out;
}

TEST_F(Bf16Cli, AResumeMayNotChangeThePrecision) {
    ASSERT_EQ(test::run_lrnn("train " + test::shell_quote(config_) + " --no-sample train.max_steps=5").exit_code, 0);
    const auto r = test::run_lrnn("train --resume " + test::shell_quote(run_) + " train.precision=fp32 train.max_steps=10");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(contains(r.err, "override 'train.precision=fp32': train.precision (the run's is bf16) cannot change "
                                "when resuming"))
        << r.err;
    // Repeating the run's own precision is fine.
    const auto same = test::run_lrnn("train --resume " + test::shell_quote(run_) +
                                     " train.precision=bf16 train.max_steps=10 --no-sample");
    EXPECT_EQ(same.exit_code, 0) << same.err;
}

// A bf16 path this CPU cannot run (here: a misspelt LRNN_GEMM_BF16) is refused before the run
// directory --force would replace is touched.
TEST_F(Bf16Cli, ABf16PathThatCannotRunIsRefusedBeforeTheRunIsReplaced) {
    ASSERT_EQ(test::run_lrnn("train " + test::shell_quote(config_) + " --no-sample train.max_steps=5").exit_code, 0);
    const auto r = test::run_lrnn("train " + test::shell_quote(config_) + " --force --no-sample", "LRNN_GEMM_BF16=avx9000");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "LRNN_GEMM_BF16 must be emulated or avx512_bf16 (got 'avx9000')")) << r.err;
    EXPECT_FALSE(contains(r.out, "replacing")) << r.out;
    EXPECT_TRUE(fs::exists(checkpoint_path(run_, 5)));
    const auto resume = test::run_lrnn("train --resume " + test::shell_quote(run_) + " train.max_steps=10",
                                       "LRNN_GEMM_BF16=avx9000");
    EXPECT_EQ(resume.exit_code, 2);
    EXPECT_FALSE(fs::exists(checkpoint_path(run_, 10)));
}

TEST_F(Bf16Cli, AnUnknownPrecisionIsRefusedNamingTheKey) {
    const auto r = test::run_lrnn("train " + test::shell_quote(config_) + " train.precision=fp16");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(contains(r.err, "train.precision")) << r.err;
    EXPECT_TRUE(contains(r.err, "fp16")) << r.err;
}

TEST_F(Bf16Cli, EvalAndGenerateDefaultToTheRunsPrecision) {
    ASSERT_EQ(test::run_lrnn("train " + test::shell_quote(config_) + " --no-sample train.max_steps=5").exit_code, 0);
    const std::string text = " --text " + test::shell_quote(corpus_) + " --json";
    const auto own = test::run_lrnn("eval " + test::shell_quote(run_) + text);
    ASSERT_EQ(own.exit_code, 0) << own.err;
    EXPECT_TRUE(contains(own.out, "\"precision\":\"bf16\"")) << own.out;
    const auto asked = test::run_lrnn("eval " + test::shell_quote(run_) + text + " --precision bf16");
    EXPECT_EQ(asked.out, own.out);
    const auto fp32 = test::run_lrnn("eval " + test::shell_quote(run_) + text + " --precision fp32");
    ASSERT_EQ(fp32.exit_code, 0) << fp32.err;
    EXPECT_TRUE(contains(fp32.out, "\"precision\":\"fp32\"")) << fp32.out;
    EXPECT_NE(fp32.out.substr(0, fp32.out.find(',')), own.out.substr(0, own.out.find(',')))
        << "the losses should differ: " << fp32.out << own.out;
    const auto bad = test::run_lrnn("eval " + test::shell_quote(run_) + text + " --precision fp16");
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_TRUE(contains(bad.err, "--precision must be fp32, bf16 or bf16_amx (got 'fp16')")) << bad.err;

    const std::string gen = "generate " + test::shell_quote(run_) + " --tokens 20 --seed 1 --temperature 0";
    const auto g = test::run_lrnn(gen);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    EXPECT_FALSE(g.out.empty());
    const auto both = test::run_lrnn(gen + " --weights bf16");
    EXPECT_NE(both.exit_code, 0);
    EXPECT_TRUE(contains(both.err, "--weights bf16")) << both.err;
    EXPECT_EQ(test::run_lrnn(gen + " --weights bf16 --precision fp32").exit_code, 0);
    const auto help = test::run_lrnn("generate --help");
    EXPECT_TRUE(contains(help.out, "--precision")) << help.out;
    EXPECT_TRUE(contains(test::run_lrnn("eval --help").out, "--precision"));
}

}  // namespace
}  // namespace lrnn
