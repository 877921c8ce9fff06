// lrnn prepare CONFIG: the corpus tokenized as training tokenizes it, written as token stores
// under run.dir/.token-stores/; kept when valid, rebuilt (with a message) when damaged.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_util.hpp"
#include "tiny_run.hpp"
#include "config/train_config.hpp"
#include "io/token_store.hpp"
#include "train/prepared_corpus.hpp"
#include "train/run_corpus.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;

class Prepare : public testing::Test {
protected:
    void SetUp() override {
        test::write_corpus_slice(dir_.path(), 20000, "a.txt");
        runs_ = dir_.file("runs");
    }
    std::string config(const std::string& tokenizer) const {
        return dir_.write(tokenizer + ".yaml", "run: {dir: " + runs_ + ", name: r}\n"
                                               "data: {path: a.txt, tokenizer: " + tokenizer + ", vocab_size: 400}\n"
                                               "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2}\n"
                                               "train: {max_steps: 3, batch_chunks: 4, eval_tokens: 256}\n");
    }
    test::TempDir dir_;
    std::string runs_;
};

// The stores hold exactly the ids training computes, and record the corpus they came from.
void expect_stores_match_training(const std::string& config_path) {
    const TrainConfig config = load_train_config({.path = config_path, .overrides = {}});
    const Corpus corpus = load_run_corpus(config);
    const std::string folder = token_store_folder(config);
    const TokenStoreSource expected{.vocabulary_fingerprint = vocabulary_fingerprint(corpus.tokenizer),
                                    .text_fingerprint = corpus.hash,
                                    .text_bytes = corpus.bytes};
    const TokenStore train = TokenStore::open(folder + "/train.tokens", expected);
    const TokenStore val = TokenStore::open(folder + "/val.tokens", expected);
    ASSERT_EQ(train.ids().size(), corpus.train_tokens.size());
    ASSERT_EQ(val.ids().size(), corpus.val_tokens.size());
    for (std::size_t i = 0; i < corpus.train_tokens.size(); ++i) ASSERT_EQ(train.ids()[i], corpus.train_tokens[i]) << i;
    for (std::size_t i = 0; i < corpus.val_tokens.size(); ++i) ASSERT_EQ(val.ids()[i], corpus.val_tokens[i]) << i;
}

TEST_F(Prepare, WritesStoresThatEqualTrainingsTokensAndReusesThem) {
    for (const std::string tokenizer : {"char", "bpe"}) {
        SCOPED_TRACE(tokenizer);
        const std::string cfg = config(tokenizer);
        const CommandResult first = test::run_lrnn_args({"prepare", cfg});
        ASSERT_EQ(first.exit_code, 0) << first.err;
        EXPECT_NE(first.out.find("wrote token stores to "), std::string::npos) << first.out;
        EXPECT_NE(first.out.find(" MB/s of text"), std::string::npos) << first.out;
        EXPECT_NE(first.out.find(runs_ + "/.token-stores/"), std::string::npos) << first.out;
        expect_stores_match_training(cfg);
        EXPECT_FALSE(fs::exists(runs_ + "/r")) << "prepare starts no run";

        const CommandResult second = test::run_lrnn_args({"prepare", cfg});
        ASSERT_EQ(second.exit_code, 0) << second.err;
        EXPECT_NE(second.out.find("reusing valid token stores in "), std::string::npos) << second.out;
    }
}

TEST_F(Prepare, RebuildsADamagedStoreAndSaysSo) {
    const std::string cfg = config("char");
    ASSERT_EQ(test::run_lrnn_args({"prepare", cfg}).exit_code, 0);
    const TrainConfig config = load_train_config({.path = cfg, .overrides = {}});
    const std::string store = token_store_folder(config) + "/train.tokens";
    std::string bytes = test::read_text(store);
    ASSERT_GT(bytes.size(), 100u);
    bytes[100] = char(bytes[100] ^ 0x01);  // one id's bit: only the checksum can tell
    test::write_text(store, bytes);

    const CommandResult again = test::run_lrnn_args({"prepare", cfg});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("token store " + token_store_folder(config) + " is not usable (" + store), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("rebuilding it"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("wrote token stores to "), std::string::npos) << again.out;
    expect_stores_match_training(cfg);
}

TEST_F(Prepare, RefusesAMissingConfigAndStrayArguments) {
    const CommandResult none = test::run_lrnn_args({"prepare"});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.err.find("give a config file first"), std::string::npos) << none.err;
    const CommandResult stray = test::run_lrnn_args({"prepare", config("char"), "oops"});
    EXPECT_EQ(stray.exit_code, 2);
    EXPECT_NE(stray.err.find("'oops' after the config file"), std::string::npos) << stray.err;
}

}  // namespace
}  // namespace lrnn
