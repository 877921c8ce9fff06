// lrnn export and the safetensors format: the export holds the source's weights and tokenizer
// exactly, the numpy snippet of docs/formats.md (docs/examples/forward_step.py) computes the
// same logits as `lrnn debug logits --mode step`, a safetensors file loads wherever a model
// is expected with the same logits, and the reader refuses every malformed header clearly.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "io/model_loader.hpp"
#include "io/npy.hpp"
#include "io/safetensors.hpp"
#include "io/tokenizer_json.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(LRNN_TEST_DATA_DIR) + "/char-small";
const std::string kModel = kGolden + "/model.bin";
const std::string kSnippet = std::string(LRNN_SOURCE_DIR) + "/docs/examples/forward_step.py";

using test::read_text;
using test::TempDir;

std::string export_model(const TempDir& dir, const std::string& model) {
    const std::string out = dir.file("export");
    const test::CommandResult r = test::run_lrnn_args({"export", model, "--format", "safetensors", "-o", out});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("exported"), std::string::npos) << r.out;
    return out;
}

TEST(Export, WritesTheWeightsConfigAndTokenizerOfTheSource) {
    TempDir dir;
    const std::string out = export_model(dir, kModel);
    const LoadedModel source = load_model(kModel);
    const SafetensorsModel exported = read_safetensors(out + "/model.safetensors");
    EXPECT_EQ(exported.params.config(), source.params.config());
    EXPECT_EQ(exported.params.values, source.params.values);  // bit for bit
    EXPECT_TRUE(exported.tokenizer == source.tokenizer);

    const Json config = parse_json(read_text(out + "/config.json"), "config.json");
    EXPECT_EQ(config["n_embd"], source.params.config().n_embd);
    EXPECT_EQ(config["vocab_size"], source.params.config().vocab_size);
    const Json tokenizer = parse_json(read_text(out + "/tokenizer.json"), "tokenizer.json");
    EXPECT_EQ(tokenizer["kind"], "char");
    EXPECT_TRUE(tokenizer_from_json(tokenizer, "tokenizer.json") == source.tokenizer);
}

TEST(Export, HeaderNamesAndShapesFollowTheParameterTable) {
    TempDir dir;
    const std::string out = export_model(dir, kModel);
    const std::string bytes = read_text(out + "/model.safetensors");
    std::uint64_t n = 0;
    std::memcpy(&n, bytes.data(), 8);
    EXPECT_EQ((8 + n) % 8, 0u) << "the data starts 8-byte aligned";
    const Json header = parse_json(bytes.substr(8, n), "header");
    const LoadedModel source = load_model(kModel);
    const ModelConfig& c = source.params.config();
    EXPECT_EQ(header["emb"]["shape"], Json::array({c.vocab_size, c.n_embd}));
    EXPECT_EQ(header["layers.1.Wk"]["shape"], Json::array({c.n_embd, c.n_embd}));
    EXPECT_EQ(header["layers.0.ln1_weight"]["shape"], Json::array({c.n_embd}));
    EXPECT_EQ(header["head"]["dtype"], "F32");
    EXPECT_EQ(header["__metadata__"]["n_layer"], std::to_string(c.n_layer));
    EXPECT_EQ(header.size(), source.params.layout.tensors().size() + 1);
    EXPECT_EQ(bytes.size(), 8 + n + source.params.values.size() * sizeof(float));
}

// The first python3 that has numpy: the one on PATH, else the system's, where scripts/setup
// installs python3-numpy (a PATH may put a pyenv or venv python3 first).
std::string python_with_numpy() {
    for (const std::string python : {"python3", "/usr/bin/python3"})
        if (test::run_shell(python + " -c 'import numpy'").exit_code == 0) return python;
    return "";
}

TEST(Export, PythonSnippetComputesTheLogitsOfDebugLogits) {
    const std::string python3 = python_with_numpy();
    ASSERT_FALSE(python3.empty()) << "python3 with numpy is needed (scripts/setup installs python3-numpy)";
    TempDir dir;
    const std::string out = export_model(dir, kModel);
    const std::vector<std::string> tokens = {"17", "28", "15", "23", "19", "25", "8", "0", "17", "49", "49", "38"};
    std::string token_text, token_args;
    for (const std::string& t : tokens) token_text += t + " ", token_args += " " + t;
    const std::string token_file = dir.write("tokens.txt", token_text + "\n");

    const std::string reference = dir.file("reference.npy");
    const test::CommandResult debug = test::run_lrnn_args(
        {"debug", "logits", "--model", kModel, "--tokens", token_file, "--out", reference, "--mode", "step"});
    ASSERT_EQ(debug.exit_code, 0) << debug.err;
    const std::string python = dir.file("python.npy");
    const test::CommandResult py = test::run_shell(python3 + " " + test::shell_quote(kSnippet) + " " +
                                                   test::shell_quote(out) + token_args + " --out " +
                                                   test::shell_quote(python));
    ASSERT_EQ(py.exit_code, 0) << py.err;

    const NpyArray want = read_npy(reference), got = read_npy(python);
    ASSERT_EQ(got.shape, want.shape);
    double worst = 0, largest = 0;
    for (std::size_t i = 0; i < want.data.size(); ++i) {
        worst = std::max(worst, double(std::abs(got.data[i] - want.data[i])));
        largest = std::max(largest, double(std::abs(want.data[i])));
    }
    EXPECT_LT(worst, 1e-4);
    EXPECT_GT(largest, 1.0) << "the logits are not trivially small";
    testing::Test::RecordProperty("max_abs_diff", std::to_string(worst));
}

TEST(Export, FormatsDocShowsTheSnippetThatIsTested) {
    const std::string doc = read_text(std::string(LRNN_SOURCE_DIR) + "/docs/formats.md");
    const std::string snippet = read_text(kSnippet);
    ASSERT_FALSE(snippet.empty());
    EXPECT_NE(doc.find("```python\n" + snippet + "```"), std::string::npos)
        << "docs/formats.md must include docs/examples/forward_step.py verbatim";
}

TEST(Export, SafetensorsLoadsWhereverAModelIsExpectedWithTheSameLogits) {
    TempDir dir;
    const std::string out = export_model(dir, kModel);
    const std::string token_file = dir.write("tokens.txt", "17 28 15 23 19 25 8 0\n");
    const std::string a = dir.file("a.npy"), b = dir.file("b.npy");
    for (const auto& [model, npy] : {std::pair{kModel, a}, std::pair{out + "/model.safetensors", b}}) {
        const test::CommandResult r =
            test::run_lrnn_args({"debug", "logits", "--model", model, "--tokens", token_file, "--out", npy});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    EXPECT_EQ(read_npy(a).data, read_npy(b).data);
}

TEST(Export, RefusesBadArguments) {
    TempDir dir;
    auto expect_error = [](const std::vector<std::string>& args, const std::string& part) {
        const test::CommandResult r = test::run_lrnn_args(args);
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
    };
    expect_error({"export", kModel}, "-o OUT is required");
    expect_error({"export", kModel, "--format", "npz", "-o", dir.file("x")}, "--format must be safetensors");
    expect_error({"export", "-o", dir.file("x")}, "name one model");
    expect_error({"export", dir.file("missing.bin"), "-o", dir.file("x")}, "no such file");
    expect_error({"export", kModel, "-o", dir.file("no/such/parent")}, "no/such");
    EXPECT_FALSE(fs::exists(dir.file("x")));
}

// The reader, on headers edited from a good file.
class SafetensorsReader : public testing::Test {
protected:
    void SetUp() override {
        const LoadedModel model = load_model(kModel);
        good_ = encode_safetensors(model.params, model.tokenizer, "test");
        std::memcpy(&header_size_, good_.data(), 8);
        header_ = parse_json(good_.substr(8, header_size_), "header");
    }

    // The file with `header` in place of the good one (same data).
    std::string with_header(const Json& header) const {
        const std::string text = header.dump();
        std::string out(8, '\0');
        const std::uint64_t n = text.size();
        std::memcpy(out.data(), &n, 8);
        return out + text + good_.substr(8 + header_size_);
    }

    void expect_refused(const std::string& bytes, const std::string& part) const {
        try {
            parse_safetensors(std::span(bytes.data(), bytes.size()), "x.safetensors");
            ADD_FAILURE() << "accepted; expected an error with '" << part << "'";
        } catch (const UserError& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("x.safetensors"), std::string::npos) << message;
            EXPECT_NE(message.find(part), std::string::npos) << message;
        }
    }

    std::string good_;
    std::uint64_t header_size_ = 0;
    Json header_;
};

TEST_F(SafetensorsReader, ReadsTheGoodFile) {
    EXPECT_NO_THROW(parse_safetensors(std::span(good_.data(), good_.size()), "x.safetensors"));
}

TEST_F(SafetensorsReader, RefusesBadSizes) {
    expect_refused(good_.substr(0, 5), "header length");
    std::string big = good_;
    const std::uint64_t n = good_.size();
    std::memcpy(big.data(), &n, 8);
    expect_refused(big, "exceeds");
    expect_refused(good_.substr(0, good_.size() - 4), "outside");
    std::string not_json = good_;
    not_json[8] = '[';
    expect_refused(not_json, "JSON");
}

TEST_F(SafetensorsReader, RefusesBadEntries) {
    auto edited = [&](auto edit) {
        Json h = header_;
        edit(h);
        return with_header(h);
    };
    expect_refused(edited([](Json& h) { h["emb"]["dtype"] = "F16"; }), "dtype");
    expect_refused(edited([](Json& h) { h["emb"]["shape"] = Json::array({3, 4}); }), "shape [3, 4]");
    expect_refused(edited([](Json& h) { h["head"]["data_offsets"] = Json::array({0, 1u << 30}); }), "outside");
    expect_refused(edited([](Json& h) { h["ln0_bias"]["data_offsets"] = h["ln0_weight"]["data_offsets"]; }),
                   "overlap");
    expect_refused(edited([](Json& h) { h.erase("layers.0.Wk"); }), "\"layers.0.Wk\" is missing");
    expect_refused(edited([](Json& h) { h["extra"] = h["emb"]; }), "\"extra\" is not in the parameter table");
    expect_refused(edited([](Json& h) { h.erase("__metadata__"); }), "__metadata__");
    expect_refused(edited([](Json& h) { h["__metadata__"]["n_embd"] = "66"; }), "shape");
    expect_refused(edited([](Json& h) { h["__metadata__"]["n_layer"] = "two"; }), "\"n_layer\" is \"two\"");
    expect_refused(edited([](Json& h) { h["__metadata__"]["n_layer"] = 2; }), "not a string");
    expect_refused(edited([](Json& h) { h["__metadata__"]["tokenizer"] = "{}"; }), "tokenizer");
    expect_refused(edited([](Json& h) { h["__metadata__"]["vocab_size"] = "60"; }), "vocab_size");
}

TEST(TokenizerJson, RoundTripsWordsThatAreNotUtf8) {
    const Tokenizer words = Tokenizer::build_word("caf\xe9 au lait, caf\xc3\xa9 noir\n");
    const Json json = tokenizer_to_json(words, "test");
    const Json back = parse_json(json.dump(), "test");  // strict UTF-8 dump: no exception
    EXPECT_TRUE(tokenizer_from_json(back, "test") == words);
}

}  // namespace
}  // namespace lrnn
