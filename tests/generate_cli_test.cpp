// `lrnn generate` and `lrnn eval` end to end, through the real binary: eval's loss against
// the golden logits, greedy and seeded sampling, state files across runs, interactive mode,
// word models, and clear errors (exit code 2, a message naming the problem) for bad input.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "core/cpu_features.hpp"
#include "core/gemm_bf16.hpp"
#include "generate/generator.hpp"
#include "io/byte_reader.hpp"
#include "io/model_loader.hpp"
#include "io/token_file.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(LRNN_TEST_DATA_DIR) + "/char-small";
const std::string kModel = kGolden + "/model.bin";

using test::read_text;
using test::TempDir;
using test::write_text;
using Result = test::CommandResult;

// A flat JSON object of numbers and strings, as `lrnn eval --json` prints it; a test
// failure for anything else (so "parses" means something).
std::map<std::string, std::string> parse_flat_json(const std::string& text) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    const auto skip_space = [&] {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    };
    const auto read_string = [&]() -> std::string {
        EXPECT_EQ(text[i], '"') << text;
        std::string s;
        for (++i; i < text.size() && text[i] != '"'; ++i) {
            if (text[i] == '\\') ++i;
            s += text[i];
        }
        ++i;
        return s;
    };
    skip_space();
    if (i >= text.size() || text[i] != '{') {
        ADD_FAILURE() << "not a JSON object: " << text;
        return out;
    }
    ++i;
    for (;;) {
        skip_space();
        const std::string key = read_string();
        skip_space();
        EXPECT_EQ(text[i], ':') << text;
        ++i;
        skip_space();
        std::string value;
        if (text[i] == '"') {
            value = read_string();
        } else {
            const std::size_t start = i;
            while (i < text.size() && text[i] != ',' && text[i] != '}') ++i;
            value = text.substr(start, i - start);
            char* end = nullptr;
            std::strtod(value.c_str(), &end);
            EXPECT_EQ(end, value.c_str() + value.size()) << key << " is not a number: " << value;
        }
        out[key] = value;
        skip_space();
        if (i < text.size() && text[i] == ',') {
            ++i;
            continue;
        }
        EXPECT_TRUE(i < text.size() && text[i] == '}') << text;
        ++i;
        skip_space();
        EXPECT_EQ(i, text.size()) << "trailing text after the object: " << text;
        return out;
    }
}

// Writes an original-program model file (model-spec.md section 10, magic lrnnC02) with a word
// vocabulary, so that word models can be tested without a trained one.
void write_word_model(const std::string& path, const Parameters<float>& params,
                      const std::vector<std::string>& words) {
    std::string b = std::string("lrnnC02", 8);
    const auto put_i32 = [&](std::int32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
    const ModelConfig& c = params.config();
    for (int v : {c.vocab_size, c.n_layer, c.n_embd, c.n_head, c.ctx_len, c.decay_lora_rank}) put_i32(v);
    const float ffn = float(c.ffn_multiplier);
    b.append(reinterpret_cast<const char*>(&ffn), 4);
    put_i32(c.n_mem_slots);
    put_i32(1);  // word tokenizer
    put_i32(std::int32_t(words.size()));
    for (std::int32_t special : {0, 1, 2, 3}) put_i32(special);
    for (const std::string& w : words) {
        put_i32(std::int32_t(w.size()));
        b += w;
    }
    for (const TensorSpec& t : params.layout.tensors()) {
        if (t.name == "layers.0.ln1_weight") put_i32(c.n_layer);
        put_i32(std::int32_t(t.rows));
        put_i32(std::int32_t(t.cols));
        b.append(reinterpret_cast<const char*>(params.values.data() + t.offset), t.size() * 4);
    }
    write_text(path, b);
}

class GenerateCli : public testing::Test {
protected:
    // Runs the binary with the given arguments (quoted here), stdin from `stdin_file`
    // (default /dev/null), capturing stdout and stderr.
    Result lrnn(const std::vector<std::string>& args, const std::string& stdin_file = "/dev/null") {
        const Result r = test::run_lrnn_args(args, stdin_file);
        EXPECT_TRUE(r.exited) << "lrnn did not exit normally (exit code " << r.exit_code << ")";
        return r;
    }

    Result generate(std::vector<std::string> args, const std::string& stdin_file = "/dev/null") {
        args.insert(args.begin(), {"generate", kModel});
        return lrnn(args, stdin_file);
    }

    // A usage error: exit code 2 and every one of `parts` in the message on stderr, no crash.
    void expect_user_error(const std::vector<std::string>& args, const std::vector<std::string>& parts,
                           const std::string& stdin_file = "/dev/null") {
        const Result r = lrnn(args, stdin_file);
        std::string command;
        for (const auto& a : args) command += " " + a;
        EXPECT_EQ(r.exit_code, 2) << "lrnn" << command << "\nstderr: " << r.err;
        for (const std::string& part : parts)
            EXPECT_NE(r.err.find(part), std::string::npos)
                << "lrnn" << command << ": expected '" << part << "' in stderr: " << r.err;
        EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << "no text on an error: " << r.out;
    }

    TempDir dir_;
};

// ---------------------------------------------------------------------------------------
// eval

// The mean cross-entropy of golden.seq_logits rows 0..46 against tokens 1..47, in double.
double golden_mean_cross_entropy() {
    const std::vector<char> bytes = read_file_bytes(kGolden + "/golden.seq_logits.f32");
    std::vector<float> logits(bytes.size() / 4);
    std::memcpy(logits.data(), bytes.data(), logits.size() * 4);
    const std::vector<TokenId> tokens = read_token_file(kGolden + "/tokens.txt", 61);
    EXPECT_EQ(tokens.size(), 48u);
    EXPECT_EQ(logits.size(), 48u * 61u);
    double total = 0;
    for (std::size_t t = 0; t + 1 < tokens.size(); ++t) {
        const float* row = logits.data() + t * 61;
        double top = row[0], sum = 0;
        for (int j = 0; j < 61; ++j) top = std::max(top, double(row[j]));
        for (int j = 0; j < 61; ++j) sum += std::exp(double(row[j]) - top);
        total += top + std::log(sum) - double(row[tokens[t + 1]]);
    }
    return total / double(tokens.size() - 1);
}

TEST_F(GenerateCli, EvalLossMatchesTheGoldenLogits) {
    const double expected = golden_mean_cross_entropy();
    EXPECT_NEAR(expected, 3.21353126, 1e-6);  // golden.loss.txt, computed independently here
    const Result r = lrnn({"eval", kModel, "--text", kGolden + "/text.txt", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto json = parse_flat_json(r.out);
    ASSERT_EQ(json.size(), 7u) << r.out;
    EXPECT_EQ(json.at("precision"), "fp32");  // a seed model records none: fp32
    const double loss = std::stod(json.at("loss"));
    EXPECT_NEAR(loss, expected, 1e-4);
    EXPECT_NEAR(std::stod(json.at("perplexity")), std::exp(expected), 1e-3);
    // one byte per char token: bits per byte = loss / ln 2
    EXPECT_NEAR(std::stod(json.at("bits_per_byte")), expected / std::log(2.0), 2e-4);
    EXPECT_EQ(json.at("tokens"), "47");
    EXPECT_EQ(json.at("bytes"), "47");
    EXPECT_EQ(json.at("model"), kModel);

    // The sentence form carries the same loss; the thread count does not change it.
    const Result one = lrnn({"eval", kModel, "--text", kGolden + "/text.txt", "--threads", "1"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_NE(one.out.find("loss 3.2135"), std::string::npos) << one.out;
    EXPECT_NE(one.out.find("47 tokens"), std::string::npos) << one.out;
}

TEST_F(GenerateCli, EvalOverManyChunksIsThreadIndependent) {
    // Longer than one chunk (ctx_len 64): 5 chunks, run in parallel.
    std::string text;
    for (int i = 0; i < 7; ++i) text += read_text(kGolden + "/text.txt");
    write_text(dir_.file("long.txt"), text);
    const Result a = lrnn({"eval", kModel, "--text", dir_.file("long.txt"), "--json", "--threads", "1"});
    const Result b = lrnn({"eval", kModel, "--text", dir_.file("long.txt"), "--json", "--threads", "2"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    const Result all = lrnn({"eval", kModel, "--text", dir_.file("long.txt"), "--json", "--threads", "0"});
    EXPECT_EQ(a.out, b.out);
    EXPECT_EQ(a.out, all.out) << "0 = all cores";
    EXPECT_EQ(parse_flat_json(a.out).at("tokens"), std::to_string(text.size() - 1));
}

TEST_F(GenerateCli, EvalErrors) {
    write_text(dir_.file("x.txt"), "GREMIO: X marks");
    expect_user_error({"eval", kModel, "--text", dir_.file("x.txt")}, {"byte 88", "position 8", "x.txt"});
    write_text(dir_.file("one.txt"), "G");
    expect_user_error({"eval", kModel, "--text", dir_.file("one.txt")}, {"too short"});
    expect_user_error({"eval", kModel}, {"--text"});
    expect_user_error({"eval", kModel, "--text", dir_.file("missing.txt")}, {"missing.txt"});
    expect_user_error({"eval", kModel, "--text", kGolden + "/text.txt", "--threads", "zero"}, {"--threads"});
    expect_user_error({"eval", kModel, "--text", kGolden + "/text.txt", "--threads=-1"}, {"--threads", "0..4096"});
    expect_user_error({"eval", dir_.file("nope.bin"), "--text", kGolden + "/text.txt"}, {"nope.bin"});
}

// ---------------------------------------------------------------------------------------
// generate

TEST_F(GenerateCli, GreedyTextIsTheGeneratorsGreedyText) {
    const Result r = generate({"--prompt", "GREMIO:\n", "--temperature", "0", "--tokens", "40"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The same greedy continuation computed in-process, token by token.
    const LoadedModel model = load_model(kModel);
    Generator gen(model.params, 1);
    gen.feed(model.tokenizer.encode("GREMIO:\n"));
    Sampler greedy(61, SamplingOptions{0.0, 0, 1.0});
    Rng rng(0);
    std::string expected;
    generate_tokens(gen, greedy, rng, 40, [&](TokenId id) { expected += token_text(model.tokenizer, id); });
    EXPECT_EQ(r.out, expected);  // stdout is exactly the generated text
    EXPECT_EQ(r.out.size(), 40u);
    // statistics on stderr: prompt and generated tokens with their speeds
    EXPECT_NE(r.err.find("prompt 8 tokens"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("generated 40 tokens"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tokens/s"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("seed"), std::string::npos) << "greedy needs no seed: " << r.err;
}

TEST_F(GenerateCli, SeedsReproduceAndDiffer) {
    const Result a = generate({"--seed", "7", "--tokens", "200"});
    const Result b = generate({"--seed", "7", "--tokens", "200"});
    const Result c = generate({"--seed", "8", "--tokens", "200"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out.size(), 200u);
    EXPECT_EQ(a.out, b.out);
    EXPECT_NE(a.out, c.out);

    // Without --seed a random one is used and printed, and it reproduces the text.
    const Result random = generate({"--tokens", "100"});
    ASSERT_EQ(random.exit_code, 0) << random.err;
    const std::size_t at = random.err.find("seed ");
    ASSERT_NE(at, std::string::npos) << random.err;
    const std::string seed = random.err.substr(at + 5, random.err.find(' ', at + 5) - at - 5);
    const Result again = generate({"--tokens", "100", "--seed", seed});
    EXPECT_EQ(again.out, random.out) << "seed " << seed;
}

TEST_F(GenerateCli, SettingsFromYamlOverridesAndFlags) {
    write_text(dir_.file("gen.yaml"), "generate:\n  tokens: 30\n  temperature: 0\n  prompt: \"GREMIO:\"\n");
    const Result yaml = generate({dir_.file("gen.yaml")});
    ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
    EXPECT_EQ(yaml.out.size(), 30u);
    const Result flags = generate({"--tokens", "30", "--temperature", "0", "--prompt", "GREMIO:"});
    EXPECT_EQ(yaml.out, flags.out);
    // override beats the file, a flag beats the override
    const Result over = generate({dir_.file("gen.yaml"), "generate.tokens=12"});
    EXPECT_EQ(over.out, yaml.out.substr(0, 12));
    const Result flag = generate({dir_.file("gen.yaml"), "generate.tokens=12", "--tokens", "5"});
    EXPECT_EQ(flag.out, yaml.out.substr(0, 5));
    expect_user_error({"generate", kModel, "generate.tokns=5"}, {"did you mean generate.tokens"});
    expect_user_error({"generate", kModel, "model.n_layer=5"}, {"generate.*"});
}

TEST_F(GenerateCli, StateSavedAfterPartOfThePromptContinuesLikeOneRun) {
    const std::string first = "GREMIO:\nGood morrow, ", second = "neighbour Baptista.\n";
    const std::string state = dir_.file("part.state");
    // --prompt-chunk 1: both runs then do the same float operations, so the texts must match.
    const Result whole = generate({"--prompt", first + second, "--tokens", "80", "--seed", "3", "--prompt-chunk", "1"});
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    const Result save = generate({"--prompt", first, "--tokens", "0", "--save-state", state, "--prompt-chunk", "1"});
    ASSERT_EQ(save.exit_code, 0) << save.err;
    EXPECT_TRUE(save.out.empty()) << "--tokens 0 only reads the prompt";
    EXPECT_NE(save.err.find("state after 21 tokens saved"), std::string::npos) << save.err;
    ASSERT_TRUE(fs::exists(state));
    const Result resumed = generate({"--load-state", state, "--prompt", second, "--tokens", "80", "--seed", "3",
                                     "--prompt-chunk", "1"});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(resumed.out.size(), 80u);
    EXPECT_EQ(resumed.out, whole.out);
}

TEST_F(GenerateCli, LoadedStateWithoutPromptContinuesFromTheStoredLogits) {
    const std::string state = dir_.file("p.state");
    const Result direct = generate({"--prompt", "ROMEO:\n", "--tokens", "60", "--seed", "11"});
    const Result saved = generate({"--prompt", "ROMEO:\n", "--tokens", "0", "--save-state", state});
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    const Result loaded = generate({"--load-state", state, "--tokens", "60", "--seed", "11"});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
    EXPECT_EQ(loaded.out, direct.out);
    EXPECT_NE(loaded.err.find("prompt 0 tokens"), std::string::npos) << loaded.err;

    // A state saved after generating covers the generated text too: 7 prompt + 60 tokens.
    const std::string after = dir_.file("after.state");
    const Result gen = generate({"--load-state", state, "--tokens", "60", "--seed", "11", "--save-state", after});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    EXPECT_NE(gen.err.find("state after 67 tokens saved"), std::string::npos) << gen.err;
}

TEST_F(GenerateCli, StateErrors) {
    // A state from another model (the benchmark shape's random model) is refused.
    const std::string other = dir_.file("other.state");
    const Result bench = lrnn({"generate", "--bench-shape", "small", "--tokens", "3", "--seed", "1",
                               "--save-state", other});
    ASSERT_EQ(bench.exit_code, 0) << bench.err;
    expect_user_error({"generate", kModel, "--load-state", other}, {"other.state", "different model"});
    // Not a state file, a truncated one, a damaged one.
    expect_user_error({"generate", kModel, "--load-state", kModel}, {"not an lrnn generation state file"});
    // Targets a rename would destroy, and names no file can have: refused before generating.
    expect_user_error({"generate", kModel, "--save-state", "/dev/null"}, {"--save-state /dev/null: is a device"});
    expect_user_error({"generate", kModel, "--save-state", ""}, {"--save-state : empty file name"});
    // A YAML key that is not a plain name (a list) is an error naming the file and line.
    write_text(dir_.file("listkey.yaml"), "generate:\n  ? [a, b]\n  : 1\n");
    expect_user_error({"generate", kModel, dir_.file("listkey.yaml")},
                      {"listkey.yaml:2: a key of the 'generate' section must be a plain name"});
    const std::string good = dir_.file("good.state");
    const Result saved = generate({"--prompt", "GREMIO:", "--tokens", "0", "--save-state", good});
    ASSERT_EQ(saved.exit_code, 0) << saved.err;
    std::string bytes = read_text(good);
    write_text(dir_.file("short.state"), bytes.substr(0, bytes.size() - 7));
    expect_user_error({"generate", kModel, "--load-state", dir_.file("short.state")}, {"truncated"});
    bytes[200] ^= 0x01;
    write_text(dir_.file("flip.state"), bytes);
    expect_user_error({"generate", kModel, "--load-state", dir_.file("flip.state")}, {"checksum mismatch"});
    expect_user_error({"generate", kModel, "--load-state", dir_.file("none.state")}, {"none.state"});
    // Nothing processed, nothing to save.
    expect_user_error({"generate", kModel, "--interactive", "--save-state", dir_.file("empty.state")},
                      {"nothing was processed"});
    // A folder that is not there is refused before anything is generated.
    const Result nowhere = lrnn({"generate", kModel, "--tokens", "5", "--save-state", dir_.file("no/such/x.state")});
    EXPECT_EQ(nowhere.exit_code, 2) << nowhere.err;
    EXPECT_NE(nowhere.err.find("does not exist"), std::string::npos) << nowhere.err;
    EXPECT_TRUE(nowhere.out.empty()) << nowhere.out;
}

TEST_F(GenerateCli, BadPromptsAndFlags) {
    // A character the vocabulary lacks: named by byte value and position.
    expect_user_error({"generate", kModel, "--prompt", "HEY X"}, {"byte 88", "position 4", "prompt"});
    expect_user_error({"generate", kModel, "--prompt", "$"}, {"byte 36", "position 0"});
    write_text(dir_.file("p.txt"), "ok\n3");
    expect_user_error({"generate", kModel, "--prompt-file", dir_.file("p.txt")}, {"--prompt-file " + dir_.file("p.txt"), "byte 51", "position 3"});
    write_text(dir_.file("empty.txt"), "");
    expect_user_error({"generate", kModel, "--prompt-file", dir_.file("empty.txt")}, {"--prompt-file " + dir_.file("empty.txt") + " is empty"});
    expect_user_error({"generate", kModel, "--prompt", ""}, {"prompt is empty"});
    expect_user_error({"generate", kModel, "--tokens", "abc"}, {"--tokens", "'abc' is not an integer"});
    expect_user_error({"generate", kModel, "--tokens=-3"}, {"generate.tokens (from --tokens): must be >= 0", "'-3'"});
    expect_user_error({"generate", kModel, "--temperature", "x"}, {"--temperature", "'x'"});
    expect_user_error({"generate", kModel, "--temperature=-1"}, {"temperature"});
    expect_user_error({"generate", kModel, "--top-k", "2.5"}, {"--top-k"});
    expect_user_error({"generate", kModel, "--top-p", "1.5"}, {"generate.top_p (from --top-p): must be in (0, 1]", "'1.5'"});
    write_text(dir_.file("sampling.yaml"), "generate:\n  top_k: -2\n");
    expect_user_error({"generate", kModel, dir_.file("sampling.yaml")}, {"generate.top_k (from ", "sampling.yaml): must be >= 0"});
    expect_user_error({"generate", kModel, "--top-p", "0"}, {"top_p"});
    expect_user_error({"generate", kModel, "--seed", "s"}, {"--seed"});
    expect_user_error({"generate", kModel, "--prompt-chunk", "0"}, {"--prompt-chunk"});
    expect_user_error({"generate", kModel, "--prompt", "A", "--prompt-file", dir_.file("p.txt")}, {"not both"});
    expect_user_error({"generate", kModel, "--no-such-flag"}, {"no-such-flag"});
    fs::create_directories(dir_.file("a_run"));
    expect_user_error({"generate", "--bench-shape", "small", dir_.file("a_run")}, {"--bench-shape stands for MODEL"});
    // Abbreviations are not guessed: --tok could mean another option in a later version.
    expect_user_error({"generate", kModel, "--tok", "3"}, {"unrecognised option '--tok'"});
    expect_user_error({"generate"}, {"which model"});
    expect_user_error({"generate", dir_.file("missing.bin")}, {"missing.bin"});
    expect_user_error({"generate", "--bench-shape", "huge"}, {"small or medium"});
    expect_user_error({"generate", kModel, "--weights", "fp8"}, {"--weights", "'fp8'", "float32, bf16"});
    expect_user_error({"generate", kModel, "generate.weights=half"}, {"generate.weights", "'half'"});
}

// --weights bf16 (docs/recipes-generate.md): reported on stderr, reproducible by seed, set by
// flag, override or YAML alike; the default stays float32.
TEST_F(GenerateCli, Bf16WeightsFromFlagOverrideAndYaml) {
    const Result exact = generate({"--seed", "3", "--tokens", "100"});
    ASSERT_EQ(exact.exit_code, 0) << exact.err;
    EXPECT_NE(exact.err.find("(float32 weights)"), std::string::npos) << exact.err;
    const Result flag = generate({"--seed", "3", "--tokens", "100", "--weights", "bf16"});
    ASSERT_EQ(flag.exit_code, 0) << flag.err;
    EXPECT_NE(flag.err.find("(bf16 weights)"), std::string::npos) << flag.err;
    EXPECT_EQ(flag.out.size(), 100u);
    const Result override = generate({"--seed", "3", "--tokens", "100", "generate.weights=bf16"});
    write_text(dir_.file("bf16.yaml"), "generate:\n  weights: bf16\n");
    const Result yaml = generate({dir_.file("bf16.yaml"), "--seed", "3", "--tokens", "100"});
    EXPECT_EQ(override.out, flag.out);
    EXPECT_EQ(yaml.out, flag.out);
    EXPECT_NE(yaml.err.find("(bf16 weights)"), std::string::npos) << yaml.err;
    // The flag wins over the YAML.
    const Result back = generate({dir_.file("bf16.yaml"), "--seed", "3", "--tokens", "100", "--weights", "float32"});
    EXPECT_EQ(back.out, exact.out);
}

// --precision bf16 (docs/recipes-generate.md): reported on stderr as bf16 products, and the
// same text on either bf16 path, prompt chunks and steps alike (the weights packed once for
// the path's kernel give the bits of every path).
TEST_F(GenerateCli, Bf16PrecisionGivesTheSameTextOnEitherBf16Path) {
    const std::string args = "generate " + test::shell_quote(kModel) +
                             " --seed 3 --tokens 100 --precision bf16 --prompt-chunk 4 --prompt " +
                             test::shell_quote("ROMEO:\nBut soft");
    const Result emulated = test::run_lrnn(args, "LRNN_GEMM_BF16=emulated");
    ASSERT_EQ(emulated.exit_code, 0) << emulated.err;
    EXPECT_NE(emulated.err.find("(bf16 products)"), std::string::npos) << emulated.err;
    EXPECT_EQ(emulated.out.size(), 100u);
    if (!bf16_gemm_path_available(Bf16GemmPath::Avx512Bf16))
        GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") has no AVX512_BF16";
    const Result hardware = test::run_lrnn(args, "LRNN_GEMM_BF16=avx512_bf16");
    ASSERT_EQ(hardware.exit_code, 0) << hardware.err;
    EXPECT_EQ(hardware.out, emulated.out);
}

TEST_F(GenerateCli, TokensZeroOnlyReadsThePrompt) {
    const Result r = generate({"--prompt", "GREMIO:", "--tokens", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find("prompt 7 tokens"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("generated 0 tokens"), std::string::npos) << r.err;
}

TEST_F(GenerateCli, InteractiveRepliesToEveryLine) {
    write_text(dir_.file("lines.txt"), "GREMIO:\nBAPTISTA:\n");
    const Result r = generate({"--interactive", "--tokens", "10", "--temperature", "0"}, dir_.file("lines.txt"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("turn 1: prompt 8 tokens"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("turn 2: prompt 10 tokens"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("turn 3"), std::string::npos) << r.err;

    // The replies are those of one text "GREMIO:\n" + reply1 + "BAPTISTA:\n" + reply2: the
    // state is kept across turns. Recompute in-process.
    const LoadedModel model = load_model(kModel);
    Generator gen(model.params, default_prompt_chunk(model.params.config()));
    Sampler greedy(61, SamplingOptions{0.0, 0, 1.0});
    Rng rng(0);
    std::string expected;
    for (const std::string line : {"GREMIO:\n", "BAPTISTA:\n"}) {
        gen.feed(model.tokenizer.encode(line));
        std::string reply;
        generate_tokens(gen, greedy, rng, 10, [&](TokenId id) { reply += token_text(model.tokenizer, id); });
        expected += reply;
        if (reply.back() != '\n') expected += '\n';  // display newline, not fed to the model
    }
    EXPECT_EQ(r.out, expected);

    // A line with a character outside the vocabulary is skipped with a message, the rest go on.
    write_text(dir_.file("bad.txt"), "X\nGREMIO:");  // last line without a newline, too
    const Result bad = generate({"--interactive", "--tokens", "5", "--seed", "1"}, dir_.file("bad.txt"));
    EXPECT_EQ(bad.exit_code, 0) << bad.err;
    EXPECT_NE(bad.err.find("byte 88"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("line skipped"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("turn 2: prompt 8 tokens"), std::string::npos) << bad.err;
}

TEST_F(GenerateCli, WordModelUnknownWordsBecomeUnkWithAWarning) {
    std::vector<std::string> words = {"<unk>", "<pad>", " ", "\n", ".", ",", "!", "?",
                                      ":",     ";",     "\"", "'", "(", ")", "-", "\t",
                                      "hello", "world"};
    ModelConfig config = test::tiny_config();
    config.vocab_size = int(words.size());
    const auto params = test::noisy_parameters<float>(config, 5, 0.3);
    const std::string path = dir_.file("word.bin");
    write_word_model(path, params, words);

    const Result r = lrnn({"generate", path, "--prompt", "hello there, world", "--tokens", "12", "--seed", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: 1 word(s)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("<unk>"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("generated 12 tokens"), std::string::npos) << r.err;
    EXPECT_FALSE(r.out.empty());
    // every piece of the output is a vocabulary entry
    std::string rest = r.out;
    std::size_t pieces = 0;
    while (!rest.empty()) {
        std::size_t best = 0;
        for (const std::string& w : words)
            if (rest.rfind(w, 0) == 0) best = std::max(best, w.size());
        ASSERT_GT(best, 0u) << "not vocabulary text: " << rest;
        rest.erase(0, best);
        ++pieces;
    }
    EXPECT_LE(pieces, 12u);

    // eval counts bits per byte over the text's own bytes: "extraordinary" (13 bytes) is one
    // <unk> token, and counts 13, not the 5 of the text "<unk>".
    write_text(dir_.file("text.txt"), "hello extraordinary world, hello world.");
    const Result e = lrnn({"eval", path, "--text", dir_.file("text.txt"), "--json"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    // 39 bytes; the first token ("hello", 5 bytes) is context, not predicted (decoding
    // "<unk>" instead would give 26).
    EXPECT_NE(e.out.find("\"bytes\":34"), std::string::npos) << e.out;
    EXPECT_NE(e.err.find("1 word(s)"), std::string::npos) << e.err;
}

TEST(Tokenizer, TokenBytesAreTheTextsOwnBytes) {
    const Tokenizer words = Tokenizer::from_words({"<unk>", "<pad>", " ", ",", "hello", "world"});
    std::vector<std::uint32_t> bytes;
    std::size_t unknown = 0;
    const auto ids = words.encode("hello marvellous world,", "t", &unknown, &bytes);
    EXPECT_EQ(unknown, 1u);
    EXPECT_EQ(ids.size(), bytes.size());
    EXPECT_EQ(bytes, (std::vector<std::uint32_t>{5, 1, 10, 1, 5, 1}));
    // A dropped CR counts with the piece after it; a word cut at the longest word keeps its
    // whole length: the counts add up to the text.
    const std::string long_word(100, 'x');
    const std::string text = "hello\r\n" + long_word + "\tworld";
    words.encode(text, "t", nullptr, &bytes);
    EXPECT_EQ(bytes, (std::vector<std::uint32_t>{5, 2, 100, 1, 5}));
    std::size_t total = 0;
    for (std::uint32_t b : bytes) total += b;
    EXPECT_EQ(total, text.size());
    const Tokenizer chars = Tokenizer::from_chars({'a', 'b'});
    chars.encode("abba", "t", nullptr, &bytes);
    EXPECT_EQ(bytes, (std::vector<std::uint32_t>{1, 1, 1, 1}));
}

}  // namespace
}  // namespace lrnn
