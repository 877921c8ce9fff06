// Files written by an earlier build (tests/data/fixtures, made by the build of 6e7be41; its
// README lists the commands and the numbers that build printed) load with today's code, give
// the same numbers, and are written back byte for byte.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli_util.hpp"
#include "core/json.hpp"
#include "data/corpus.hpp"
#include "io/byte_reader.hpp"
#include "io/checkpoint.hpp"
#include "io/model_loader.hpp"
#include "io/npy.hpp"
#include "io/run_directory.hpp"
#include "io/seed_model.hpp"
#include "io/state_file.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;
using test::read_text;
using test::run_lrnn;

const std::string kFixtures = std::string(LRNN_TEST_DATA_DIR) + "/fixtures";
const std::string kCharRun = kFixtures + "/char-run";
const std::string kSeedModel = std::string(LRNN_TEST_DATA_DIR) + "/char-small/model.bin";
// The old build's products were OpenBLAS's: the losses below run with the same kernel
// (core/gemm_kernels.hpp, LRNN_GEMM).
const std::string kOldBuildsProducts = "LRNN_GEMM=openblas";

// A loss the old build printed, against today's. Since that build the float arithmetic of the
// elementwise work changed (an inline exp, core/vector_exp.hpp, and layer-norm sums in lanes),
// which moves these losses by at most 2e-9 of their size (measured); a weight, a state or a
// position read wrongly from an old file moves them by orders of magnitude more.
void expect_old_builds_loss(double now, double old_build) {
    EXPECT_NEAR(now, old_build, 1e-7 * old_build);
}
constexpr std::uint64_t kCorpusHash = 0x6de5a289317101bcULL;  // FNV-1a 64 of fixtures/text.txt

std::uint64_t fnv1a64_of(const std::vector<float>& v) { return fnv1a64(v.data(), v.size() * sizeof(float)); }

// A scratch folder of this test, removed with everything in it.
class ScratchDir {
public:
    ScratchDir() {
        static int counter = 0;
        path_ = fs::temp_directory_path() /
                ("lrnn_old_formats_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

std::vector<Json> json_lines(const std::string& path) {
    std::vector<Json> rows;
    std::istringstream in(read_text(path));
    for (std::string line; std::getline(in, line);) rows.push_back(parse_json(line, path));
    return rows;
}

ModelConfig fixture_shape(int vocab_size) {
    ModelConfig c;
    c.vocab_size = vocab_size;
    c.n_layer = 1;
    c.n_embd = 8;
    c.n_head = 2;
    c.ctx_len = 16;
    c.decay_lora_rank = 1;
    c.ffn_multiplier = 2.0;
    c.n_mem_slots = 2;
    return c;
}

struct CheckpointFacts {
    std::string file;
    int vocab_size;
    TokenizerKind tokenizer;
    std::int64_t step;
    std::uint64_t position;
    std::uint64_t tokens_seen;
    double best_val_loss;
    bool finished;
    std::size_t parameters;
    std::uint64_t parameters_fnv;  // FNV-1a 64 of record PARM, read by a script from the file
};

const std::vector<CheckpointFacts> kCheckpoints = {
    {kCharRun + "/checkpoints/step-000000003.ckpt", 52, TokenizerKind::Char, 3, 12, 192, 3.8743119604285496,
     false, 1656, 0xd93f283579a4e245ULL},
    {kCharRun + "/checkpoints/step-000000006.ckpt", 52, TokenizerKind::Char, 6, 24, 384, 3.8530172722502285,
     true, 1656, 0xbf0d6f25db70fa0aULL},
    {kCharRun + "/checkpoints/best.ckpt", 52, TokenizerKind::Char, 6, 24, 384, 3.8530172722502285, true, 1656,
     0xbf0d6f25db70fa0aULL},
    {kFixtures + "/word.ckpt", 270, TokenizerKind::Word, 4, 16, 256, 5.597714065666252, true, 5144,
     0xc6907375532d6969ULL},
};

TEST(OldFormats, CheckpointsReadBackWithTheirProgressAndParameters) {
    for (const CheckpointFacts& f : kCheckpoints) {
        SCOPED_TRACE(f.file);
        const Checkpoint c = read_checkpoint(f.file);
        EXPECT_EQ(c.model, fixture_shape(f.vocab_size));
        EXPECT_EQ(c.tokenizer.kind(), f.tokenizer);
        EXPECT_EQ(c.tokenizer.vocab_size(), f.vocab_size);
        EXPECT_NE(c.config_yaml.find("data:\n  path: \"/tmp/lrnn-fixtures/work/text.txt\""), std::string::npos);
        ASSERT_EQ(c.params.size(), f.parameters);
        EXPECT_EQ(fnv1a64_of(c.params), f.parameters_fnv);
        EXPECT_EQ(c.adam.step, f.step);
        EXPECT_EQ(c.adam.m.size(), f.parameters);
        EXPECT_EQ(c.adam.v.size(), f.parameters);
        EXPECT_EQ(c.progress.step, f.step);
        EXPECT_EQ(c.progress.epoch, 0u);
        EXPECT_EQ(c.progress.position, f.position);
        EXPECT_EQ(c.progress.skipped_steps, 0);
        EXPECT_EQ(c.progress.tokens_seen, f.tokens_seen);
        EXPECT_EQ(c.progress.best_val_loss, f.best_val_loss);
        EXPECT_EQ(c.progress.best_step, f.step);
        EXPECT_EQ(c.progress.last_val_loss, f.best_val_loss);
        EXPECT_EQ(c.progress.corpus_hash, kCorpusHash);
        EXPECT_EQ(c.progress.corpus_bytes, 3000u);
        EXPECT_EQ(c.progress.finished, f.finished);
    }
}

TEST(OldFormats, CheckpointsAreWrittenBackByteForByte) {
    ScratchDir dir;
    for (const CheckpointFacts& f : kCheckpoints) {
        SCOPED_TRACE(f.file);
        write_checkpoint(dir.file("again.ckpt"), read_checkpoint(f.file));
        EXPECT_TRUE(read_file_bytes(dir.file("again.ckpt")) == read_file_bytes(f.file));
    }
}

TEST(OldFormats, RunDirectoryLoadsItsNewestCheckpoint) {
    const LoadedModel m = load_model(kCharRun);
    EXPECT_EQ(m.source, kCharRun + "/checkpoints/step-000000006.ckpt");
    EXPECT_EQ(m.params.config(), fixture_shape(52));
    EXPECT_EQ(fnv1a64_of(m.params.values), 0xbf0d6f25db70fa0aULL);
    EXPECT_EQ(list_checkpoints(kCharRun).size(), 2u);
}

// The corpus at the absolute path the old run recorded (a resume refuses to change data.path),
// for as long as the object lives; put there only if nothing is there yet.
class CorpusWhereTheOldRunHadIt {
public:
    static constexpr const char* kPath = "/tmp/lrnn-fixtures/work/text.txt";
    CorpusWhereTheOldRunHadIt() {
        std::error_code ec;
        if (fs::exists(kPath, ec)) return;
        for (fs::path p = fs::path(kPath).parent_path(); !fs::exists(p, ec); p = p.parent_path())
            made_.push_back(p);
        fs::create_directories(fs::path(kPath).parent_path(), ec);
        fs::copy_file(kFixtures + "/text.txt", kPath, ec);
        placed_ = !ec;
    }
    ~CorpusWhereTheOldRunHadIt() {
        std::error_code ec;
        if (placed_) fs::remove(kPath, ec);
        for (const fs::path& p : made_) fs::remove(p, ec);  // innermost first; only if empty
    }
    bool usable() const { return read_text(kPath) == read_text(kFixtures + "/text.txt"); }

private:
    bool placed_ = false;
    std::vector<fs::path> made_;
};

TEST(OldFormats, RunDirectoryResumesWhereTheOldRunStopped) {
    const CorpusWhereTheOldRunHadIt corpus;
    if (!corpus.usable()) GTEST_SKIP() << CorpusWhereTheOldRunHadIt::kPath << " holds another file";
    ScratchDir dir;
    const std::string run = dir.file("char-run");
    fs::copy(kCharRun, run, fs::copy_options::recursive);
    // Started from another folder: the old run's config says run.dir ".".
    const std::string elsewhere = dir.file("elsewhere");
    fs::create_directories(elsewhere);
    const auto r = run_lrnn("train --resume '" + run + "' train.max_steps=8 --no-sample",
                            "cd '" + elsewhere + "' && " + kOldBuildsProducts);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("resuming from " + run + "/checkpoints/step-000000006.ckpt (step 6)"), std::string::npos)
        << r.err;
    // Its token stores sit beside the run directory, not in the current folder.
    EXPECT_TRUE(fs::is_directory(dir.file(".token-stores")));
    EXPECT_FALSE(fs::exists(elsewhere + "/.token-stores"));
    const std::vector<Json> rows = json_lines(run + "/metrics.jsonl");
    ASSERT_EQ(rows.size(), 8u);
    // The old run's rows are kept as they were; the new ones continue its numbers.
    const std::vector<Json> old_rows = json_lines(kCharRun + "/metrics.jsonl");
    for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(rows[i], old_rows[i]);
    EXPECT_EQ(rows[6]["step"], 7);
    expect_old_builds_loss(rows[6]["loss"].get<double>(), 3.8551263389092387);
    EXPECT_EQ(rows[7]["step"], 8);
    expect_old_builds_loss(rows[7]["loss"].get<double>(), 3.8788431826371337);
    const Json summary = parse_json(read_text(run + "/summary.json"), "summary.json");
    expect_old_builds_loss(summary["final_val_loss"].get<double>(), 3.8482026059023444);
    EXPECT_EQ(summary["steps"], 8);
}

TEST(OldFormats, MetricsOfTheOldRunSurviveTruncation) {
    ScratchDir dir;
    const std::string metrics = dir.file("metrics.jsonl");
    fs::copy_file(kCharRun + "/metrics.jsonl", metrics);
    const std::string all = read_text(metrics);
    truncate_metrics(metrics, 6);
    EXPECT_EQ(read_text(metrics), all);
    truncate_metrics(metrics, 3);
    std::size_t end = 0;
    for (int line = 0; line < 3; ++line) end = all.find('\n', end) + 1;
    EXPECT_EQ(read_text(metrics), all.substr(0, end));
    EXPECT_EQ(json_lines(metrics).size(), 3u);
}

double eval_loss(const std::string& model, const std::string& text) {
    const auto r = run_lrnn("eval '" + model + "' --text '" + text + "' --json --threads 1",
                            kOldBuildsProducts);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_json(r.out, "eval --json")["loss"].get<double>();
}

TEST(OldFormats, EvaluationGivesTheOldBuildsLoss) {
    expect_old_builds_loss(eval_loss(kCharRun, kFixtures + "/text.txt"), 3.8542768337119595);
    expect_old_builds_loss(eval_loss(kFixtures + "/word.ckpt", kFixtures + "/text.txt"), 5.551613950212014);
    expect_old_builds_loss(eval_loss(kSeedModel, std::string(LRNN_TEST_DATA_DIR) + "/char-small/text.txt"),
                           3.2135307036660707);
}

TEST(OldFormats, LogitsAreTheOldBuilds) {
    ScratchDir dir;
    const auto r = run_lrnn("debug logits --model '" + kCharRun + "' --tokens '" + kFixtures +
                            "/tokens.txt' --out '" + dir.file("logits.npy") + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const NpyArray now = read_npy(dir.file("logits.npy"));
    const NpyArray then = read_npy(kFixtures + "/char-logits.npy");
    ASSERT_EQ(then.shape, (std::vector<std::size_t>{14, 52}));
    ASSERT_EQ(now.shape, then.shape);
    for (std::size_t i = 0; i < then.data.size(); ++i) EXPECT_NEAR(now.data[i], then.data[i], 1e-5f) << i;
}

struct StateFacts {
    std::string file;
    std::string model;
    int vocab_size;
    std::uint64_t position;
};

const std::vector<StateFacts> kStates = {
    {kFixtures + "/char.state", kCharRun, 52, 14},
    {kFixtures + "/word.state", kFixtures + "/word.ckpt", 270, 4},
};

TEST(OldFormats, StateFilesLoadForTheirModelAndAreWrittenBackByteForByte) {
    for (const StateFacts& f : kStates) {
        SCOPED_TRACE(f.file);
        const LoadedModel m = load_model(f.model);
        const SavedState s = read_state_file(f.file, fingerprint_model(m.params, m.tokenizer));
        EXPECT_EQ(s.model.config, fixture_shape(f.vocab_size));
        EXPECT_EQ(s.position, f.position);
        EXPECT_EQ(s.state.size(), std::size_t(1 * (5 + 2 * 2) * 8));
        EXPECT_EQ(s.logits.size(), std::size_t(f.vocab_size));
        const std::vector<char> bytes = read_file_bytes(f.file);
        const std::string again = encode_state_file(s);
        EXPECT_TRUE(std::vector<char>(again.begin(), again.end()) == bytes);
    }
}

TEST(OldFormats, GenerationContinuesFromAnOldStateFile) {
    const auto sampled = run_lrnn("generate '" + kCharRun + "' --load-state '" + kFixtures +
                                  "/char.state' --tokens 20 --temperature 1 --top-p 1 --seed 3");
    ASSERT_EQ(sampled.exit_code, 0) << sampled.err;
    EXPECT_EQ(sampled.out, "hgBYRRAjvAvhglh.--tj");
    const auto greedy = run_lrnn("generate '" + kCharRun + "' --load-state '" + kFixtures +
                                 "/char.state' --tokens 20 --temperature 0");
    ASSERT_EQ(greedy.exit_code, 0) << greedy.err;
    EXPECT_EQ(greedy.out, " t t t t t t t t t t");
    const auto words = run_lrnn("generate '" + kFixtures + "/word.ckpt' --load-state '" + kFixtures +
                                "/word.state' --tokens 12 --temperature 1 --top-p 1 --seed 3");
    ASSERT_EQ(words.exit_code, 0) << words.err;
    EXPECT_EQ(words.out, "nowasownhassufferanceancornaccusationsbreathskillemaccount");
}

TEST(OldFormats, SeedModelLoadsAndGeneratesAsBefore) {
    const ImportedModel m = read_seed_model(kSeedModel);
    ModelConfig expected;
    expected.vocab_size = 61;
    expected.n_layer = 2;
    expected.n_embd = 64;
    expected.n_head = 2;
    expected.ctx_len = 64;
    expected.decay_lora_rank = 2;
    expected.ffn_multiplier = 2.0;
    expected.n_mem_slots = 4;
    EXPECT_EQ(m.params.config(), expected);
    EXPECT_EQ(m.tokenizer.kind(), TokenizerKind::Char);
    EXPECT_EQ(m.tokenizer.vocab_size(), 61);
    const auto r = run_lrnn("generate '" + kSeedModel + "' --prompt GREMIO: --tokens 40 --temperature 0");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "\nI the thear the thear the thear the the");
}

}  // namespace
}  // namespace lrnn
