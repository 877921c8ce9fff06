// Config errors: each class gives exit code 2 and a message naming the key (and file:line for
// the YAML); overrides use YAML scalar typing.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_util.hpp"
#include "config/train_config.hpp"
#include "core/error.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

// The message of the UserError that loading throws ("" if none).
std::string load_error(const std::string& file, std::vector<std::string> overrides = {}) {
    try {
        load_train_config(ConfigSource{file, std::move(overrides)});
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

const char* kValid = "data:\n  path: corpus.txt\nmodel:\n  n_embd: 32\n  n_head: 4\ntrain:\n  lr: 0.001\n";

TEST(TrainConfig, ValidFileAndOverrides) {
    TempDir d("valid");
    const std::string file = d.write("c.yaml", kValid);
    const TrainConfig c = load_train_config({file, {"train.lr=3e-3", "model.auto=true", "train.schedule=constant"}});
    EXPECT_DOUBLE_EQ(c.train.lr, 3e-3);
    EXPECT_TRUE(c.model.auto_size);
    EXPECT_EQ(c.train.schedule, "constant");
    EXPECT_EQ(c.model.shape.n_embd, 32);
    EXPECT_EQ(c.run.name, "c");  // the file's stem
    // data.path in the file resolves against the file's folder
    EXPECT_EQ(fs::path(c.data.path), (d.path() / "corpus.txt").lexically_normal());
    // on the command line: against the working directory, stored absolute (so that the run's
    // config.yaml resumes from any directory)
    const TrainConfig c2 = load_train_config({file, {"data.path=x.txt"}});
    EXPECT_EQ(fs::path(c2.data.path), (fs::current_path() / "x.txt").lexically_normal());
    // The resolved YAML parses back to the same values.
    const TrainConfig back = parse_train_config_text(to_yaml(c), "resolved");
    EXPECT_EQ(to_yaml(back), to_yaml(c));
}

TEST(TrainConfig, AutoFillsOnlyKeysNotGiven) {
    TempDir d("auto");
    const std::string file = d.write("c.yaml", "data: {path: x}\nmodel: {auto: true, ctx_len: 32}\n");
    const TrainConfig c = load_train_config({file, {}});
    const ModelConfig m = resolve_model_config(c, 100000, false, 65);
    EXPECT_EQ(m.n_layer, 6);   // 50,000 <= 100,000 < 500,000
    EXPECT_EQ(m.n_embd, 256);
    EXPECT_EQ(m.n_head, 8);    // max(2, 256 / 32)
    EXPECT_EQ(m.ctx_len, 32);  // given explicitly
    EXPECT_EQ(m.vocab_size, 65);
    const ModelConfig w = resolve_model_config(c, 100000, true, 500);  // word: eff = bytes / 5
    EXPECT_EQ(w.n_layer, 4);
}

TEST(TrainConfig, ErrorsNameTheKey) {
    TempDir d("errors");
    struct Case {
        std::string yaml;
        std::vector<std::string> overrides;
        std::vector<std::string> expected;  // substrings of the message
    };
    const std::vector<Case> cases = {
        {"data: {path: x}\ntrain:\n  lrr: 0.1\n", {}, {"c.yaml:3:", "train.lrr", "did you mean 'train.lr'"}},
        {"data: {path: x}\ntrian:\n  lr: 0.1\n", {}, {"c.yaml:2:", "unknown key 'trian'", "did you mean 'train'"}},
        {"data: {path: x}\ntrain:\n  lr: 0.1\n  lr: 2\n", {}, {"c.yaml:4:", "'train.lr' appears twice", "c.yaml:3)"}},
        {"data: {path: x}\ntrain: {lr: 1}\ntrain: {epochs: 2}\n", {}, {"c.yaml:3:", "'train' appears twice"}},
        {"data: {path: x}\ntrain:\n  lr: .inf\n", {}, {"c.yaml:3:", "train.lr expects a finite number"}},
        {"data: {path: x}\ntrain:\n  grad_clip: .nan\n", {}, {"train.grad_clip expects a finite number"}},
        {"data: {path: x}\n", {"run.name=.."}, {"override 'run.name=..'", "not '.' or '..'"}},
        {"data: {path: x}\n", {"train.lr=-2"}, {"override 'train.lr=-2': train.lr must be > 0"}},
        {"data: {path: x}\n", {"train.lr=1", "train.lr=2"}, {"override 'train.lr=2'", "given twice", "'train.lr=1'"}},
        {"data: {path: x}\ntrain:\n  lr: fast\n", {}, {"c.yaml:3:", "train.lr expects a number", "'fast'"}},
        {"data: {path: x}\ntrain:\n  epochs: 2.5\n", {}, {"train.epochs expects an integer", "'2.5'"}},
        {"data: {path: x}\ntrain:\n  batch_chunks: [1, 2]\n", {}, {"train.batch_chunks expects an integer, got a list"}},
        {"data: {path: x}\ntrain:\n  lr: -1\n", {}, {"c.yaml:3: train.lr must be > 0"}},
        {"data: {path: x}\nmodel:\n  n_embd: 30\n  n_head: 4\n", {}, {"model.n_embd (30, ", "c.yaml:3) must be divisible by model.n_head (4, ", "c.yaml:4)"}},
        {"data: {path: x}\nmodel:\n  n_embd: 32\n", {"model.n_head=3"},
         {"model.n_embd (32, ", "c.yaml:3)", "model.n_head (3, override 'model.n_head=3')"}},
        {"data: {path: x}\n", {"model.n_head=3"}, {"model.n_embd (", "the default)", "model.n_head (3, override"}},
        {"data: {path: x}\nmodel:\n  n_embd: 16\n", {"model.ffn_multiplier=0.01"},
         {"override 'model.ffn_multiplier=0.01': model.ffn_multiplier", "floor(model.n_embd * model.ffn_multiplier) of 0"}},
        {"data: {path: x}\n", {"generate.seed=-5"}, {"override 'generate.seed=-5': generate.seed must be >= 0, or -1"}},
        {"data: {path: x}\n", {"run.seed=-1"}, {"run.seed expects a non-negative integer", "'-1'"}},
        {"data: {path: x}\nmodel:\n  n_layer: 0\n", {}, {"model.n_layer must be in 1..1024"}},
        {"data: {path: x}\ntrain:\n  schedule: linear\n", {}, {"c.yaml:3: train.schedule is 'linear'", "constant, cosine"}},
        {"data:\n  path: x\n  tokenizer: wordpiece\n", {}, {"c.yaml:3: data.tokenizer"}},
        {"data: {path: x}\ngenerate:\n  weights: int4\n", {}, {"c.yaml:3: generate.weights is 'int4'", "float32, bf16"}},
        {"train: {lr: 0.1}\n", {}, {"data.path is required"}},
        {"data: {path: x}\n", {"train.lr"}, {"override 'train.lr'", "key.path=value"}},
        {"data: {path: x}\n", {"train.learning_rate=1"}, {"unknown key 'train.learning_rate'"}},
        {"data: {path: x}\n", {"model.n_emb=64"}, {"did you mean 'model.n_embd'"}},
        {"data: {path: x}\n", {"train.threads=-1"}, {"train.threads must be in 0..4096"}},
        {"data: {path: x}\ntrain: {lr: 0.1\n", {}, {"c.yaml:", "YAML syntax error"}},
        {"- just\n- a list\n", {}, {"must be a mapping of sections"}},
    };
    for (const Case& c : cases) {
        const std::string file = d.write("c.yaml", c.yaml);
        const std::string msg = load_error(file, c.overrides);
        ASSERT_FALSE(msg.empty()) << "no error for:\n" << c.yaml;
        for (const std::string& e : c.expected) EXPECT_NE(msg.find(e), std::string::npos) << "'" << e << "' not in: " << msg;
    }
    EXPECT_NE(load_error((d.path() / "missing.yaml").string()).find("config file not found"), std::string::npos);
}

TEST(TrainConfig, CliErrorsExitTwoWithMessage) {
    TempDir d("cli");
    const std::string corpus = d.write("corpus.txt", std::string(3000, 'a') + "bcdefg\n");
    struct Case {
        std::string yaml;
        std::string args;
        std::string expected;
    };
    const std::string run_dir = "run: {dir: " + (d.path() / "runs").string() + "}\n";
    const std::vector<Case> cases = {
        {run_dir + "data: {path: corpus.txt}\ntrain: {lrr: 1}\n", "", "did you mean 'train.lr'"},
        {run_dir + "data: {path: nothere.txt}\n", "", "nothere.txt: file not found"},
        {run_dir + "data: {path: empty.txt}\n", "", "the corpus is empty"},
        {run_dir + "data: {path: corpus.txt}\nmodel: {ctx_len: 512}\n", "", "fewer than one chunk"},
        {run_dir + "data: {path: corpus.txt}\nmodel: {n_embd: 10, n_head: 3}\n", "", "divisible by model.n_head"},
        {run_dir + "data: {path: corpus.txt}\n", "train.lr=abc", "train.lr expects a number"},
        {run_dir + "data: {path: corpus.txt}\n", "not-an-override", "not a key.path=value override"},
    };
    d.write("empty.txt", "");
    for (const Case& c : cases) {
        const std::string file = d.write("c.yaml", c.yaml);
        const auto r = test::run_lrnn("train " + file + " " + c.args);
        EXPECT_EQ(r.exit_code, 2) << c.yaml << r.err;
        EXPECT_NE(r.err.find(c.expected), std::string::npos) << "'" << c.expected << "' not in: " << r.err;
        EXPECT_EQ(r.err.find("terminate"), std::string::npos);
    }
    const auto bare = test::run_lrnn("train");
    EXPECT_EQ(bare.exit_code, 2) << bare.err;
    const auto help = test::run_lrnn("train --help");
    EXPECT_EQ(help.exit_code, 0) << help.err;
}

}  // namespace
}  // namespace lrnn
