// `lrnn debug` end to end, through the real binary: the golden logits and loss of the seed
// model (tests/data/char-small), one gradient file per parameter tensor, and clear errors
// (exit code 2, a message naming the problem) for bad input. Also the dispatcher's --help and
// unknown-recipe behaviour.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "io/byte_reader.hpp"
#include "io/npy.hpp"
#include "io/seed_model.hpp"
#include "io/token_file.hpp"
#include "model/model.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(LRNN_TEST_DATA_DIR) + "/char-small";
const std::string kModel = kGolden + "/model.bin";
const std::string kTokens = kGolden + "/tokens.txt";

using test::read_text;
using test::TempDir;
using test::write_text;
using Result = test::CommandResult;

// Runs build/lrnn with the given arguments (quoted there), capturing stdout and stderr.
class Cli : public testing::Test {
protected:
    Result lrnn(const std::vector<std::string>& args) {
        const Result r = test::run_lrnn_args(args);
        EXPECT_TRUE(r.exited) << "lrnn did not exit normally (exit code " << r.exit_code << ")";
        return r;
    }

    // A usage error: exit code 2 and every one of `parts` in the message on stderr, no crash.
    void expect_user_error(const std::vector<std::string>& args,
                           const std::vector<std::string>& parts) {
        const Result r = lrnn(args);
        std::string command;
        for (const auto& a : args) command += " " + a;
        EXPECT_EQ(r.exit_code, 2) << "lrnn" << command << "\nstderr: " << r.err;
        for (const std::string& part : parts)
            EXPECT_NE(r.err.find(part), std::string::npos)
                << "lrnn" << command << ": expected '" << part << "' in stderr: " << r.err;
        EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
    }

    TempDir dir_;
};

std::vector<float> read_f32(const std::string& path) {
    const std::vector<char> bytes = read_file_bytes(path);
    std::vector<float> out(bytes.size() / sizeof(float));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
    return out;
}

void expect_logits_match_golden(const std::string& npy, const std::string& golden_file) {
    const NpyArray got = read_npy(npy);
    const std::vector<float> golden = read_f32(golden_file);
    ASSERT_EQ(golden.size(), 48u * 61u);
    ASSERT_EQ(got.shape, (std::vector<std::size_t>{48, 61}));
    ASSERT_EQ(got.data.size(), golden.size());
    double worst = 0;
    for (std::size_t i = 0; i < golden.size(); ++i) {
        worst = std::max(worst, double(std::abs(got.data[i] - golden[i])));
        ASSERT_NEAR(got.data[i], golden[i], 1e-4) << "logit (" << i / 61 << ", " << i % 61 << ")";
    }
    // The logits are not trivially small: a tolerance of 1e-4 means something.
    const float largest = std::abs(*std::max_element(golden.begin(), golden.end(), [](float a, float b) {
        return std::abs(a) < std::abs(b);
    }));
    EXPECT_GT(largest, 1.0f);
    testing::Test::RecordProperty("max_abs_diff_" + fs::path(golden_file).stem().string(), std::to_string(worst));
}

// `lrnn debug logits` of the golden model and tokens, with `mode_args` added, writes the
// logits of `golden_file`.
void expect_debug_logits_match_golden(const TempDir& dir, const std::vector<std::string>& mode_args,
                                      const std::string& golden_file) {
    const std::string out = dir.file("logits.npy");
    std::vector<std::string> args = {"debug", "logits", "--model", kModel, "--tokens", kTokens, "--out", out};
    args.insert(args.end(), mode_args.begin(), mode_args.end());
    const Result r = test::run_lrnn_args(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_logits_match_golden(out, golden_file);
}

TEST_F(Cli, LogitsInChunkModeMatchTheGolden) {
    expect_debug_logits_match_golden(dir_, {"--mode", "chunk"}, kGolden + "/golden.seq_logits.f32");
}

TEST_F(Cli, LogitsInStepModeMatchTheGolden) {
    expect_debug_logits_match_golden(dir_, {"--mode", "step"}, kGolden + "/golden.step_logits.f32");
}

TEST_F(Cli, LogitsModeDefaultsToChunk) {
    expect_debug_logits_match_golden(dir_, {}, kGolden + "/golden.seq_logits.f32");
}

TEST_F(Cli, GradsWriteTheGoldenLossAndOneFilePerTensor) {
    const std::string out = dir_.file("grads");
    const Result r = lrnn({"debug", "grads", "--model", kModel, "--tokens", kTokens, "--out", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    double loss = 0, golden_loss = 0;
    std::istringstream(read_text(out + "/loss.txt")) >> loss;
    std::istringstream(read_text(kGolden + "/golden.loss.txt")) >> golden_loss;
    EXPECT_GT(golden_loss, 1.0);
    EXPECT_NEAR(loss, golden_loss, 1e-5);

    // The gradients the binary wrote are the model core's, computed here in double.
    const ImportedModel model = read_seed_model(kModel);
    const ModelConfig& config = model.params.config();
    const std::vector<TokenId> tokens = read_token_file(kTokens, config.vocab_size);
    const std::size_t T = tokens.size() - 1;
    Parameters<double> params(config), grads(config);
    std::copy(model.params.values.begin(), model.params.values.end(), params.values.begin());
    Workspace<double> ws(config, T);
    const std::span<const TokenId> all(tokens);
    model_forward(params.view(), all.first(T), ws);
    model_loss(ws, all.subspan(1), 0.0, 1.0 / double(T));
    model_backward(params.view(), all.first(T), ws, grads.mutable_view());

    std::size_t npy_files = 0;
    for (const auto& entry : fs::directory_iterator(out))
        if (entry.path().extension() == ".npy") ++npy_files;
    EXPECT_EQ(npy_files, grads.layout.tensors().size());
    EXPECT_EQ(grads.layout.tensors().size(), 3u + 24u * 2u + 3u);

    for (const TensorSpec& t : grads.layout.tensors()) {
        const std::string file = out + "/" + t.name + ".npy";
        ASSERT_TRUE(fs::exists(file)) << file;
        const NpyArray g = read_npy(file);
        const std::vector<std::size_t> shape =
            t.is_vector() ? std::vector<std::size_t>{t.rows} : std::vector<std::size_t>{t.rows, t.cols};
        EXPECT_EQ(g.shape, shape) << t.name;
        ASSERT_EQ(g.data.size(), t.size()) << t.name;
        double largest = 0;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const double expected = grads.values[t.offset + i];
            largest = std::max(largest, std::abs(expected));
            EXPECT_NEAR(g.data[i], expected, 1e-6 * std::max(1.0, std::abs(expected)))
                << t.name << "[" << i << "]";
        }
        EXPECT_GT(largest, 0.0) << t.name << " has an all-zero gradient";
    }
    // Some shapes spelled out, as a reader of the files sees them.
    EXPECT_EQ(read_npy(out + "/emb.npy").shape, (std::vector<std::size_t>{61, 64}));
    EXPECT_EQ(read_npy(out + "/layers.0.Wr.npy").shape, (std::vector<std::size_t>{64, 64}));
    EXPECT_EQ(read_npy(out + "/layers.1.ffn_down.npy").shape, (std::vector<std::size_t>{128, 64}));
    EXPECT_EQ(read_npy(out + "/layers.0.mem_gate_read.npy").shape, (std::vector<std::size_t>{64, 4}));
    EXPECT_EQ(read_npy(out + "/head.npy").shape, (std::vector<std::size_t>{64, 61}));
    EXPECT_EQ(read_npy(out + "/ln_out_bias.npy").shape, (std::vector<std::size_t>{64}));
}

TEST_F(Cli, GradsInFloatAgreeWithDouble) {
    const std::string d = dir_.file("double"), f = dir_.file("float");
    const Result in_double = lrnn({"debug", "grads", "--model", kModel, "--tokens", kTokens, "--out", d});
    ASSERT_EQ(in_double.exit_code, 0) << in_double.err;
    const Result in_float = lrnn({"debug", "grads", "--model", kModel, "--tokens", kTokens, "--out", f,
                                  "--precision", "float"});
    ASSERT_EQ(in_float.exit_code, 0) << in_float.err;
    double loss_d = 0, loss_f = 0;
    std::istringstream(read_text(d + "/loss.txt")) >> loss_d;
    std::istringstream(read_text(f + "/loss.txt")) >> loss_f;
    EXPECT_NEAR(loss_f, loss_d, 1e-5);
    for (const char* name : {"emb", "layers.0.Wk", "layers.1.time_first", "head"}) {
        const NpyArray gd = read_npy(d + "/" + name + ".npy"), gf = read_npy(f + "/" + name + ".npy");
        ASSERT_EQ(gd.shape, gf.shape);
        float scale = 0;
        for (float v : gd.data) scale = std::max(scale, std::abs(v));
        for (std::size_t i = 0; i < gd.data.size(); ++i)
            EXPECT_NEAR(gf.data[i], gd.data[i], 1e-3 * scale) << name << "[" << i << "]";
    }
}

TEST_F(Cli, BadTokensAreRefusedNamingTheProblem) {
    const std::string out = dir_.file("out.npy");
    const std::string tokens = dir_.file("tokens.txt");
    struct Case {
        std::string content;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases = {
        {"0 1 2 61 3\n", {"token 3 is 61", "outside the vocabulary [0, 61)"}},
        {"5 -1\n", {"token 1 is -1", "outside the vocabulary"}},
        {"", {"no token ids"}},
        {"  \n\t\n", {"no token ids"}},
        {"1 2 three 4\n", {"token 2 is 'three'", "not a decimal integer"}},
        {"1 2 3.5\n", {"token 2 is '3.5'", "not a decimal integer"}},
        {"99999999999999999999\n", {"token 0", "not a decimal integer"}},
    };
    for (const Case& c : cases) {
        write_text(tokens, c.content);
        for (const char* what : {"logits", "grads"}) {
            std::vector<std::string> parts = c.parts;
            parts.push_back(tokens);  // the message names the file
            expect_user_error({"debug", what, "--model", kModel, "--tokens", tokens, "--out", out}, parts);
            EXPECT_FALSE(fs::exists(out)) << "an output was written for tokens '" << c.content << "'";
        }
    }
    // Too few tokens for a gradient (one input and its target at least).
    write_text(tokens, "7\n");
    expect_user_error({"debug", "grads", "--model", kModel, "--tokens", tokens, "--out", out},
                      {"at least 2 tokens"});
    // A missing token file.
    expect_user_error({"debug", "logits", "--model", kModel, "--tokens", dir_.file("absent.txt"),
                       "--out", out},
                      {dir_.file("absent.txt"), "cannot open"});
}

TEST_F(Cli, BadModelAndOptionsAreRefusedNamingTheProblem) {
    const std::string out = dir_.file("out.npy");
    const std::string absent = dir_.file("no-such-model.bin");
    expect_user_error({"debug", "logits", "--model", absent, "--tokens", kTokens, "--out", out},
                      {absent, "no such file"});
    // A file that is not a model: the token file, and a text file.
    expect_user_error({"debug", "logits", "--model", kTokens, "--tokens", kTokens, "--out", out},
                      {kTokens, "not a model file"});
    const std::string text = dir_.file("notes.txt");
    write_text(text, "just some notes, not a model\n");
    expect_user_error({"debug", "grads", "--model", text, "--tokens", kTokens, "--out", out},
                      {text, "not a model file"});
    // A seed model file cut short.
    const std::vector<char> golden = read_file_bytes(kModel);
    const std::string cut = dir_.file("cut.bin");
    {
        std::ofstream o(cut, std::ios::binary);
        o.write(golden.data(), 5000);
    }
    expect_user_error({"debug", "logits", "--model", cut, "--tokens", kTokens, "--out", out},
                      {cut, "ends early", "data of tensor emb"});

    expect_user_error({"debug", "logits", "--model", kModel, "--tokens", kTokens, "--out", out,
                       "--mode", "sideways"},
                      {"--mode must be chunk or step", "sideways"});
    expect_user_error({"debug", "grads", "--model", kModel, "--tokens", kTokens, "--out", out,
                       "--precision", "half"},
                      {"--precision must be double or float", "half"});
    expect_user_error({"debug", "logits", "--tokens", kTokens, "--out", out}, {"--model is required"});
    expect_user_error({"debug", "logits", "--model", kModel, "--out", out}, {"--tokens is required"});
    expect_user_error({"debug", "logits", "--model", kModel, "--tokens", kTokens}, {"--out is required"});
    expect_user_error({"debug", "frobnicate", "--model", kModel, "--tokens", kTokens, "--out", out},
                      {"unknown debug command 'frobnicate'"});
    expect_user_error({"debug"}, {"logits|grads"});
    expect_user_error({"debug", "logits", "--no-such-option"}, {"no-such-option"});
    EXPECT_FALSE(fs::exists(out));
}

TEST_F(Cli, HelpListsTheRecipesAndUnknownRecipesFail) {
    const Result help = lrnn({"--help"});
    EXPECT_EQ(help.exit_code, 0) << help.err;
    EXPECT_NE(help.out.find("recipes:"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("debug"), std::string::npos) << help.out;

    const Result debug_help = lrnn({"debug", "--help"});
    EXPECT_EQ(debug_help.exit_code, 0) << debug_help.err;
    EXPECT_NE(debug_help.out.find("--model"), std::string::npos) << debug_help.out;

    const Result unknown = lrnn({"nosuchrecipe"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.err;
    EXPECT_NE(unknown.err.find("unknown recipe 'nosuchrecipe'"), std::string::npos) << unknown.err;

    const Result none = lrnn({});
    EXPECT_EQ(none.exit_code, 2) << none.err;
    EXPECT_NE(none.err.find("usage"), std::string::npos) << none.err;
}

}  // namespace
}  // namespace lrnn
