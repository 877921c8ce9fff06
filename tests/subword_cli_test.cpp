// `lrnn train` with data.tokenizer: bpe through the real binary: the tokenizer is the same for
// 1 and 2 threads (and so is the run), RUN_DIR/tokenizer.model is written, resume, generate and
// eval need nothing but the run, data.tokenizer_path reuses a model, and bad settings are
// refused naming the key.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_util.hpp"
#include "temp_dir.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

class SubwordCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_, 40000);
        config_ = (dir_ / "bpe.yaml").string();
        std::ofstream(config_) << "run: {name: bpe, dir: " << (dir_ / "runs").string() << "}\n"
                               << "data: {path: corpus.txt, tokenizer: bpe, vocab_size: 400}\n"
                               << "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2}\n"
                               << "train: {max_steps: 6, batch_chunks: 4, eval_every: 3, eval_tokens: 256, "
                                  "log_every: 2, checkpoint_every: 3}\n"
                               << "generate: {tokens: 40, prompt: \"ROMEO:\", seed: 3}\n";
    }
    fs::path run(const std::string& name) const { return dir_ / "runs" / name; }
    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
};

std::string val_line(const std::string& metrics) {
    std::string last;
    std::istringstream in(metrics);
    for (std::string line; std::getline(in, line);)
        if (line.find("val_loss") != std::string::npos) last = line.substr(line.find("val_loss"));
    return last;
}

TEST_F(SubwordCli, SameTokenizerAndRunForOneAndTwoThreads) {
    const auto one = test::run_lrnn("train " + config_ + " run.name=t1 train.threads=1");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const auto two = test::run_lrnn("train " + config_ + " run.name=t2 train.threads=2");
    ASSERT_EQ(two.exit_code, 0) << two.err;
    const std::string model1 = test::read_text(run("t1") / "tokenizer.model");
    ASSERT_FALSE(model1.empty());
    EXPECT_EQ(model1, test::read_text(run("t2") / "tokenizer.model"));
    EXPECT_EQ(val_line(test::read_text(run("t1") / "metrics.jsonl")),
              val_line(test::read_text(run("t2") / "metrics.jsonl")));
    EXPECT_NE(one.err.find("bpe"), std::string::npos) << one.err;
}

TEST_F(SubwordCli, ResumeGenerateAndEvalNeedOnlyTheRun) {
    ASSERT_EQ(test::run_lrnn("train " + config_).exit_code, 0);
    const std::string straight = val_line(test::read_text(run("bpe") / "metrics.jsonl"));
    // Resuming from the middle needs the checkpoint alone (and the corpus, which resume checks).
    fs::remove(run("bpe") / "tokenizer.model");
    const auto resumed =
        test::run_lrnn("train --resume " + (run("bpe") / "checkpoints" / "step-000000003.ckpt").string());
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_TRUE(fs::exists(run("bpe") / "tokenizer.model"));
    EXPECT_EQ(val_line(test::read_text(run("bpe") / "metrics.jsonl")), straight);

    const auto gen = test::run_lrnn("generate " + run("bpe").string() + " --tokens 30 --seed 1 --prompt ROMEO:");
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    EXPECT_FALSE(gen.out.empty());
    std::ofstream(dir_ / "val.txt") << "Speak, speak. Привет 你好\n";
    const auto eval = test::run_lrnn("eval " + run("bpe").string() + " --text " + (dir_ / "val.txt").string());
    EXPECT_EQ(eval.exit_code, 0) << eval.err;
}

TEST_F(SubwordCli, TokenizerPathReusesAModel) {
    ASSERT_EQ(test::run_lrnn("train " + config_ + " train.max_steps=1").exit_code, 0);
    fs::copy_file(run("bpe") / "tokenizer.model", dir_ / "shared.model");
    const auto r = test::run_lrnn("train " + config_ + " run.name=reuse train.max_steps=1 data.vocab_size=999 "
                                  "data.tokenizer_path=" + (dir_ / "shared.model").string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(test::read_text(run("reuse") / "tokenizer.model"), test::read_text(dir_ / "shared.model"));

    const auto wrong_kind = test::run_lrnn("train " + config_ + " run.name=w data.tokenizer=unigram "
                                           "data.tokenizer_path=" + (dir_ / "shared.model").string());
    EXPECT_EQ(wrong_kind.exit_code, 2);
    EXPECT_NE(wrong_kind.err.find("is a bpe model, but data.tokenizer is unigram"), std::string::npos) << wrong_kind.err;

    std::ofstream(dir_ / "junk.model") << "junk";
    const auto junk = test::run_lrnn("train " + config_ + " run.name=j data.tokenizer_path=" + (dir_ / "junk.model").string());
    EXPECT_EQ(junk.exit_code, 2);
    EXPECT_NE(junk.err.find("data.tokenizer_path: " + (dir_ / "junk.model").string() + ": not a SentencePiece model"),
              std::string::npos) << junk.err;
}

TEST_F(SubwordCli, RefusesBadSettingsNamingTheKey) {
    const auto small = test::run_lrnn("train " + config_ + " data.vocab_size=100");
    EXPECT_EQ(small.exit_code, 2);
    EXPECT_NE(small.err.find("data.vocab_size must be in 320..65536"), std::string::npos) << small.err;
    const auto path_for_char = test::run_lrnn("train " + config_ + " data.tokenizer=char data.tokenizer_path=x.model");
    EXPECT_EQ(path_for_char.exit_code, 2);
    EXPECT_NE(path_for_char.err.find("data.tokenizer_path names a SentencePiece model"), std::string::npos)
        << path_for_char.err;
}

}  // namespace
}  // namespace lrnn
