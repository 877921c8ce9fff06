// Training from mapped token stores (train/prepared_corpus.hpp): the losses are those of the
// corpus tokenized in memory, a second start reuses the stores without tokenizing, a damaged
// or stale store is rebuilt with a message, resume compares the manifest (reads no corpus), and
// the streaming preparation gives exactly the in-memory ids for every tokenizer across block
// boundaries.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "temp_dir.hpp"
#include "tiny_run.hpp"
#include "config/train_config.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "data/chunk_sampler.hpp"
#include "io/run_directory.hpp"
#include "io/token_manifest.hpp"
#include "train/batch_gradient.hpp"
#include "train/evaluation.hpp"
#include "train/prepared_corpus.hpp"
#include "train/run_corpus.hpp"
#include "train/trainer.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;

class StoreTraining : public testing::Test {
protected:
    void SetUp() override {
        test::write_corpus_slice(dir_.path(), 30000, "a.txt");
        runs_ = dir_.file("runs");
    }
    std::string config(const std::string& tokenizer, const std::string& extra_train = "") const {
        return dir_.write(tokenizer + ".yaml", "run: {dir: " + runs_ + ", name: r, seed: 3}\n"
                                               "data: {path: " + dir_.file("a.txt") + ", tokenizer: " + tokenizer +
                                               ", vocab_size: 400}\n" + test::kTinyModelYaml +
                                               "train: {max_steps: 4, batch_chunks: 4, eval_every: 2, eval_tokens: 300, "
                                               "log_every: 1, threads: 2" + extra_train + "}\n");
    }
    TrainConfig load(const std::string& path) const { return load_train_config({.path = path, .overrides = {}}); }
    test::TempDir dir_;
    std::string runs_;
};

std::vector<Json> metrics_rows(const std::string& run_dir) {
    std::vector<Json> rows;
    std::ifstream in(run_dir + "/metrics.jsonl");
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) {
            Json row = parse_json(line, "metrics.jsonl");
            row.erase("tokens_per_s");  // the clock's, not the run's
            row.erase("elapsed_s");
            rows.push_back(std::move(row));
        }
    return rows;
}

TrainResult train(const std::string& cfg, std::vector<std::string> overrides = {}, const std::string& resume = "") {
    TrainOptions o;
    o.source.path = cfg;
    o.source.overrides = std::move(overrides);
    o.print_sample = false;
    if (!resume.empty()) o.resume = resume, o.resume_overrides = o.source.overrides;
    else o.force = true;
    return run_training(o);
}

// The first step's loss and the last evaluation, computed here from the corpus tokenized in
// memory (load_run_corpus) through the model functions, equal the run's to the bit.
TEST_F(StoreTraining, LossesEqualTheInMemoryCorpusForEveryTokenizer) {
    for (const std::string tokenizer : {"char", "word", "bpe"}) {
        SCOPED_TRACE(tokenizer);
        const std::string cfg = config(tokenizer);
        const TrainResult r = train(cfg);
        ASSERT_EQ(r.exit_code, 0);
        const std::vector<Json> rows = metrics_rows(r.run_dir);
        ASSERT_EQ(rows.size(), 4u);

        const TrainConfig c = load(cfg);
        const Corpus corpus = load_run_corpus(c);
        std::stringstream notes;
        const Checkpoint last = load_newest_checkpoint(r.run_dir, notes);
        const ModelConfig& shape = last.model;
        const std::size_t T = std::size_t(shape.ctx_len);
        Parameters<float> init(shape);
        initialize_parameters<float>(init.layout, c.run.seed, init.values);
        ChunkSampler sampler(corpus.train_tokens.size(), T, c.run.seed);
        std::vector<std::span<const TokenId>> chunks;
        for (std::size_t i = 0; i < 4; ++i)
            chunks.push_back(std::span(corpus.train_tokens).subspan(sampler.chunk_start(0, i), T + 1));
        BatchGradient batch(shape, T);
        const LossSums first = batch.compute(init, chunks, 0, chunks.size(), 0.0, mean_loss_scale(chunks));
        EXPECT_EQ(rows[0]["loss"].get<double>(), first.optimized / double(first.count));

        Parameters<float> trained(shape);
        trained.values = last.params;
        const std::size_t n = 301;
        const EvalResult e = evaluate(trained, std::span(corpus.val_tokens).first(n),
                                      std::span(corpus.val_token_bytes).first(n), T, corpus.tokenizer.unk_id());
        EXPECT_EQ(rows[3]["val_loss"].get<double>(), e.loss);
        EXPECT_EQ(rows[3]["val_bpc"].get<double>(), e.bits_per_byte);
        if (tokenizer == "word") {
            EXPECT_EQ(rows[3]["val_unk_share"].get<double>(), *e.unk_share);
        }
    }
}

TEST_F(StoreTraining, ASecondStartReusesTheStoresWithoutTokenizing) {
    const std::string cfg = config("bpe");
    const CommandResult first = test::run_lrnn_args({"train", cfg, "--no-sample"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string folder = token_store_folder(load(cfg));
    EXPECT_NE(first.err.find("tokenizing the corpus into token stores in " + folder), std::string::npos) << first.err;
    const auto manifest_time = fs::last_write_time(folder + "/manifest.json");
    const auto store_time = fs::last_write_time(folder + "/train.tokens");
    const CommandResult second = test::run_lrnn_args({"train", cfg, "--no-sample", "run.name=r2"});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(second.err.find("rebuilding"), std::string::npos) << second.err;
    EXPECT_EQ(second.err.find("tokenizing the corpus"), std::string::npos) << second.err;
    EXPECT_EQ(fs::last_write_time(folder + "/manifest.json"), manifest_time);
    EXPECT_EQ(fs::last_write_time(folder + "/train.tokens"), store_time);
    EXPECT_EQ(metrics_rows(runs_ + "/r"), metrics_rows(runs_ + "/r2"));
}

// Damage found at a start is said, naming the folder and the file, and the store is written
// again; the run then trains exactly as on an intact store.
TEST_F(StoreTraining, ADamagedOrStaleStoreIsRebuiltWithAMessage) {
    const std::string cfg = config("char");
    ASSERT_EQ(test::run_lrnn_args({"train", cfg, "--no-sample"}).exit_code, 0);
    const std::vector<Json> reference = metrics_rows(runs_ + "/r");
    const std::string folder = token_store_folder(load(cfg));
    const std::string store = folder + "/train.tokens";

    const auto expect_rebuilt = [&](const std::string& what, const std::string& reason) {
        SCOPED_TRACE(what);
        const CommandResult again = test::run_lrnn_args({"train", cfg, "--no-sample", "--force"});
        ASSERT_EQ(again.exit_code, 0) << again.err;
        EXPECT_NE(again.err.find("token store " + folder + " is not usable ("), std::string::npos) << again.err;
        EXPECT_NE(again.err.find(reason), std::string::npos) << again.err;
        EXPECT_NE(again.err.find("rebuilding it"), std::string::npos) << again.err;
        EXPECT_EQ(metrics_rows(runs_ + "/r"), reference);
    };

    // One id's bit, with the file's mtime put back: only the checksum can tell.
    std::string bytes = test::read_text(store);
    const auto mtime = fs::last_write_time(store);
    bytes[100] = char(bytes[100] ^ 0x01);
    test::write_text(store, bytes);
    fs::last_write_time(store, mtime);
    expect_rebuilt("flipped bit", "token ids checksum mismatch");

    fs::resize_file(store, fs::file_size(store) - 3);
    expect_rebuilt("truncated", store + ": changed since it was written");

    fs::last_write_time(dir_.file("a.txt"), fs::last_write_time(dir_.file("a.txt")) + std::chrono::seconds(5));
    expect_rebuilt("source touched", "stale: the corpus files (size or mtime) or data settings changed");
}

// Resume compares the checkpoint's corpus fingerprint with the manifest's and reads no text:
// a corpus rewritten with the same size and mtime is not seen (docs/formats.md says so), one
// whose mtime changed is re-read and refused.
TEST_F(StoreTraining, ResumeIsBitExactAndComparesTheManifestNotTheText) {
    const std::string cfg = config("char", ", checkpoint_every: 2, keep_checkpoints: 5");
    const TrainResult whole = train(cfg);
    ASSERT_EQ(whole.exit_code, 0);
    std::stringstream notes;
    const std::vector<float> straight = load_newest_checkpoint(whole.run_dir, notes).params;
    const std::string step2 = whole.run_dir + "/checkpoints/step-000000002.ckpt";
    ASSERT_TRUE(fs::exists(step2));

    const std::string corpus = dir_.file("a.txt");
    const auto mtime = fs::last_write_time(corpus);
    std::string text = test::read_text(corpus);
    const std::string original = text;
    text[10] = text[10] == 'x' ? 'y' : 'x';
    test::write_text(corpus, text);
    fs::last_write_time(corpus, mtime);
    const CommandResult resumed = test::run_lrnn_args({"train", "--resume", step2, "--no-sample"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(resumed.err.find("rebuilding"), std::string::npos) << resumed.err;
    EXPECT_EQ(load_newest_checkpoint(whole.run_dir, notes).params, straight);

    fs::last_write_time(corpus, mtime + std::chrono::seconds(5));
    const CommandResult refused = test::run_lrnn_args({"train", "--resume", step2, "--no-sample"});
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("has changed since the checkpoint was written"), std::string::npos) << refused.err;
    test::write_text(corpus, original);
}

// Stores deleted between the start and the resume are written again from the corpus with the
// checkpoint's vocabulary (streamed), and the run continues bit for bit.
TEST_F(StoreTraining, AResumeWhoseStoresAreGoneRebuildsThemAndIsBitExact) {
    for (const std::string tokenizer : {"word", "bpe"}) {
        SCOPED_TRACE(tokenizer);
        const std::string cfg = config(tokenizer, ", checkpoint_every: 2, keep_checkpoints: 5");
        const TrainResult whole = train(cfg);
        ASSERT_EQ(whole.exit_code, 0);
        std::stringstream notes;
        const std::vector<float> straight = load_newest_checkpoint(whole.run_dir, notes).params;
        fs::remove_all(runs_ + "/.token-stores");
        const CommandResult resumed = test::run_lrnn_args(
            {"train", "--resume", whole.run_dir + "/checkpoints/step-000000002.ckpt", "--no-sample"});
        ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
        EXPECT_NE(resumed.err.find("tokenizing the corpus into token stores"), std::string::npos) << resumed.err;
        EXPECT_EQ(load_newest_checkpoint(whole.run_dir, notes).params, straight);
    }
}

// The streaming preparation (any block size, every tokenizer, several files, JSON Lines, an
// explicit validation set) gives exactly the ids, byte counts and fingerprint of the corpus
// tokenized whole in memory.
TEST_F(StoreTraining, StreamingPreparationEqualsTheInMemoryTokenization) {
    std::string text = test::read_text(dir_.file("a.txt"));
    fs::create_directories(dir_.file("docs"));
    test::write_text(dir_.file("docs/1.txt"), text.substr(0, 9000));
    test::write_text(dir_.file("docs/2.txt"), "");
    test::write_text(dir_.file("docs/3.jsonl"), "{\"text\": \"Re: \\u00e9t\\u00e9\\r\\nline two\"}\n\n{\"text\": \"\"}\n"
                                                "{\"text\": \"third\\n\"}\n");
    test::write_text(dir_.file("docs/4.txt"), text.substr(9000, 12000));
    test::write_text(dir_.file("val.txt"), text.substr(21000, 4000));
    for (const std::string tokenizer : {"char", "word", "bpe", "unigram", "auto"})
        for (const bool val_path : {false, true})
            for (const std::size_t block : {std::size_t(1), std::size_t(7), std::size_t(1000), std::size_t(1) << 20}) {
                SCOPED_TRACE(tokenizer + (val_path ? " val_path" : " val_fraction") + " block " + std::to_string(block));
                const std::string name = tokenizer + (val_path ? "v" : "f") + std::to_string(block);
                const std::string cfg = dir_.write(name + ".yaml",
                    "run: {dir: " + dir_.file("runs-" + name) + ", name: r}\n"
                    "data: {path: " + dir_.file("docs") + ", tokenizer: " + tokenizer + ", vocab_size: 330" +
                    (val_path ? ", val_path: " + dir_.file("val.txt") : std::string()) + "}\n");
                const TrainConfig c = load(cfg);
                std::stringstream log;
                DataRequest request;
                request.block_bytes = block;
                request.full_check_bytes = ~std::uint64_t(0);
                const TrainingData data = open_training_data(c, request, log);
                const Corpus corpus = load_run_corpus(c);
                EXPECT_EQ(data.hash, corpus.hash);
                EXPECT_EQ(data.bytes, corpus.bytes);
                EXPECT_EQ(data.train_bytes, corpus.train_bytes);
                EXPECT_EQ(data.name, corpus.path);
                EXPECT_TRUE(data.tokenizer == corpus.tokenizer);
                std::vector<TokenId> train_ids(data.train.ids().size()), val_ids(data.val.ids().size());
                data.train.ids().copy(0, train_ids);
                data.val.ids().copy(0, val_ids);
                EXPECT_EQ(train_ids, corpus.train_tokens);
                EXPECT_EQ(val_ids, corpus.val_tokens);
                EXPECT_EQ(data.val_bytes(0, val_ids.size()), corpus.val_token_bytes);
            }
}

TEST_F(StoreTraining, TheDryRunWritesNoStore) {
    const CommandResult dry = test::run_lrnn_args({"train", config("char"), "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_FALSE(fs::exists(runs_)) << "a dry run creates nothing";
}

TEST(TokenManifest, RoundTripsAndRefusesDamage) {
    TokenManifest m;
    m.key = Json{{"train_files", stamps_to_json({FileStamp{"a.txt", 12, 345}})}, {"tokenizer", "char"}};
    m.name = "a.txt";
    m.text_fingerprint = 0xfedcba9876543210ULL;
    m.text_bytes = 12;
    m.train_bytes = 10;
    m.vocabulary_fingerprint = 7;
    m.tokenizer = Json{{"kind", "char"}, {"vocab_size", 1}, {"bytes_by_id", {97}}};
    m.train_tokens = 10;
    m.val_tokens = 2;
    m.stores = {FileStamp{"train.tokens", 84, 1}, FileStamp{"val.tokens", 68, -2}};
    const std::string text = encode_token_manifest(m);
    const TokenManifest back = parse_token_manifest(text, "m.json");
    EXPECT_EQ(back.key, m.key);
    EXPECT_EQ(back.text_fingerprint, m.text_fingerprint);
    EXPECT_EQ(back.stores, m.stores);
    EXPECT_EQ(encode_token_manifest(back), text);

    const auto refused = [&](const std::string& from, const std::string& to, const std::string& says) {
        std::string bad = text;
        const auto at = bad.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        bad.replace(at, from.size(), to);
        try {
            parse_token_manifest(bad, "m.json");
            ADD_FAILURE() << "accepted " << bad;
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
        }
    };
    refused("fedcba9876543210", "fedcba987654321g", "m.json: text_fingerprint");
    refused("\"train_bytes\": 10", "\"train_bytes\": 13", "train_bytes is larger than text_bytes");
    refused("\"version\": 1", "\"version\": 2", "manifest version");
    refused("\"val_tokens\": 2", "\"val_tokens\": -2", "val_tokens");
    refused("{", "[", "not valid JSON");
}

}  // namespace
}  // namespace lrnn
