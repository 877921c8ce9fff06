// Generation in-process (framework/generate): the sampler's rules (greedy, temperature,
// top-k, top-p) and its distribution, the Generator against chunk-mode logits, seeds,
// generation state files (round trip, refusal of other models and damaged files), CRC-32C
// and the layering of generate settings.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "generate/bench_shapes.hpp"
#include "generate/generator.hpp"
#include "generate/options.hpp"
#include "generate/sampler.hpp"
#include "generate/generator_state.hpp"
#include "io/byte_reader.hpp"
#include "io/checksum.hpp"
#include "io/model_loader.hpp"
#include "test_util.hpp"
#include "temp_dir.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

const std::string kGolden = std::string(LRNN_TEST_DATA_DIR) + "/char-small";

using test::TempDir;

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    ASSERT_TRUE(out.good()) << path;
}

// The UserError message `f` throws; a test failure if it throws nothing.
template <typename F>
std::string user_error(F&& f) {
    try {
        f();
    } catch (const UserError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no UserError";
    return "";
}

std::vector<double> softmax(const std::vector<float>& logits, double temperature) {
    double top = logits[0];
    for (float l : logits) top = std::max(top, double(l));
    std::vector<double> p(logits.size());
    double sum = 0;
    for (std::size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp((logits[i] - top) / temperature);
    for (double& v : p) v /= sum;
    return p;
}

// Empirical frequencies of `draws` samples.
std::vector<double> frequencies(Sampler& sampler, const std::vector<float>& logits, int draws,
                                std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> f(logits.size(), 0.0);
    for (int i = 0; i < draws; ++i) f[std::size_t(sampler.sample(logits, rng))] += 1.0 / draws;
    return f;
}

// ---------------------------------------------------------------------------------------
// Sampler

TEST(Sampler, TemperatureZeroIsArgmaxWithLowestIdOnTies) {
    Sampler greedy(5, SamplingOptions{0.0, 0, 1.0});
    Rng rng(1);
    EXPECT_EQ(greedy.sample(std::vector<float>{0.1f, 2.0f, -1.0f, 1.9f, 0.0f}, rng), 1);
    EXPECT_EQ(greedy.sample(std::vector<float>{3.0f, 1.0f, 3.0f, 0.0f, 3.0f}, rng), 0);
    EXPECT_EQ(Sampler::greedy(std::vector<float>{-5.0f, -4.0f, -4.0f}), 1);
}

// 1/T overflows for a subnormal temperature; its limit, greedy, is what it must give (not the
// NaN weights of (top - top) * infinity).
TEST(Sampler, SubnormalTemperatureIsGreedy) {
    const std::vector<float> logits{0.1f, 2.0f, -1.0f, 1.9f, 0.0f};
    for (double t : {1e-320, 4.9e-324}) {
        for (double top_p : {1.0, 0.9}) {
            Sampler tiny(5, SamplingOptions{t, 0, top_p});
            Rng rng(3);
            for (int draw = 0; draw < 20; ++draw) EXPECT_EQ(tiny.sample(logits, rng), 1) << t << " " << top_p;
        }
    }
}

TEST(Sampler, TopKOneAndTinyTopPEqualGreedy) {
    const int V = 37;
    Sampler top1(V, SamplingOptions{1.3, 1, 1.0});
    Sampler tiny_p(V, SamplingOptions{0.7, 0, 1e-9});
    Sampler both(V, SamplingOptions{2.0, 1, 1e-9});
    Rng rng(7);
    for (int trial = 0; trial < 500; ++trial) {
        std::vector<float> logits(V);
        for (float& l : logits) l = float(3 * rng.normal());
        if (trial % 5 == 0) logits[std::size_t(rng.below(V))] = logits[std::size_t(rng.below(V))];
        const TokenId best = Sampler::greedy(logits);
        EXPECT_EQ(top1.sample(logits, rng), best) << trial;
        EXPECT_EQ(tiny_p.sample(logits, rng), best) << trial;
        EXPECT_EQ(both.sample(logits, rng), best) << trial;
    }
}

TEST(Sampler, TemperatureOneMatchesSoftmax) {
    const std::vector<float> logits = {1.0f, 0.0f, -0.5f, 2.0f, 0.3f, -3.0f};
    Sampler sampler(int(logits.size()), SamplingOptions{1.0, 0, 1.0});
    const int draws = 200000;
    const auto f = frequencies(sampler, logits, draws, 11);
    const auto p = softmax(logits, 1.0);
    for (std::size_t i = 0; i < p.size(); ++i) {
        // 5 standard deviations of a binomial proportion: fails on a wrong distribution
        // (an off-by-one in the walk moves mass by whole probabilities), not by chance.
        const double sd = std::sqrt(p[i] * (1 - p[i]) / draws);
        EXPECT_NEAR(f[i], p[i], 5 * sd + 1e-4) << "token " << i;
    }
}

TEST(Sampler, TemperatureSharpensAndFlattens) {
    const std::vector<float> logits = {1.0f, 0.0f, -0.5f, 2.0f};
    const int draws = 100000;
    for (double t : {0.5, 2.0}) {
        Sampler sampler(4, SamplingOptions{t, 0, 1.0});
        const auto f = frequencies(sampler, logits, draws, 3);
        const auto p = softmax(logits, t);
        for (std::size_t i = 0; i < p.size(); ++i)
            EXPECT_NEAR(f[i], p[i], 5 * std::sqrt(p[i] * (1 - p[i]) / draws) + 1e-4) << t << " " << i;
    }
}

TEST(Sampler, TopKKeepsTheKMostProbableRenormalised) {
    const std::vector<float> logits = {0.0f, 2.0f, 1.0f, -1.0f, 1.5f};
    Sampler sampler(5, SamplingOptions{1.0, 2, 1.0});
    const int draws = 100000;
    const auto f = frequencies(sampler, logits, draws, 5);
    const double p1 = std::exp(2.0) / (std::exp(2.0) + std::exp(1.5));
    EXPECT_NEAR(f[1], p1, 0.01);
    EXPECT_NEAR(f[4], 1 - p1, 0.01);
    EXPECT_EQ(f[0] + f[2] + f[3], 0.0);
}

TEST(Sampler, TopPKeepsTheShortestPrefixReachingP) {
    // probabilities 0.5, 0.3, 0.15, 0.05: p = 0.75 keeps {0.5, 0.3} (0.5 alone falls short).
    const std::vector<float> logits = {float(std::log(0.15)), float(std::log(0.5)),
                                       float(std::log(0.05)), float(std::log(0.3))};
    Sampler sampler(4, SamplingOptions{1.0, 0, 0.75});
    const int draws = 100000;
    const auto f = frequencies(sampler, logits, draws, 9);
    EXPECT_NEAR(f[1], 0.5 / 0.8, 0.01);
    EXPECT_NEAR(f[3], 0.3 / 0.8, 0.01);
    EXPECT_EQ(f[0] + f[2], 0.0);
    // p = 0.5 is reached by the first token alone.
    Sampler half(4, SamplingOptions{1.0, 0, 0.5});
    const auto g = frequencies(half, logits, 1000, 9);
    EXPECT_EQ(g[0] + g[2] + g[3], 0.0);
}

TEST(Sampler, TopPAfterTopKUsesTheRenormalisedMass) {
    // After top-2 the kept probabilities are 0.625 and 0.375 (of 0.5 and 0.3); p = 0.6 is
    // reached by the first alone. Computed on the unfiltered distribution it would not be.
    const std::vector<float> logits = {float(std::log(0.15)), float(std::log(0.5)),
                                       float(std::log(0.05)), float(std::log(0.3))};
    Sampler sampler(4, SamplingOptions{1.0, 2, 0.6});
    const auto f = frequencies(sampler, logits, 2000, 4);
    EXPECT_EQ(f[0] + f[2] + f[3], 0.0);
}

TEST(Sampler, LargeVocabularyNucleusMatchesTheDefinition) {
    // The sampler sorts only the heavy tokens when they already hold p of the mass; the
    // candidates must be those of the plain definition (sort everything, cut at p).
    const int V = 2000;
    Rng rng(21);
    std::vector<float> logits(V);
    for (float& l : logits) l = float(2.5 * rng.normal());
    const double p = 0.9;
    const auto probs = softmax(logits, 1.0);
    std::vector<int> order(V);
    for (int i = 0; i < V; ++i) order[std::size_t(i)] = i;
    std::sort(order.begin(), order.end(), [&](int a, int b) { return probs[a] > probs[b]; });
    std::vector<bool> in_nucleus(V, false);
    double cumulative = 0;
    for (int id : order) {
        in_nucleus[std::size_t(id)] = true;
        cumulative += probs[std::size_t(id)];
        if (cumulative >= p) break;
    }
    Sampler sampler(V, SamplingOptions{1.0, 0, p});
    std::vector<int> seen(V, 0);
    Rng draws(3);
    const int n = 10000;
    for (int i = 0; i < n; ++i) ++seen[std::size_t(sampler.sample(logits, draws))];
    for (int id = 0; id < V; ++id)
        if (!in_nucleus[std::size_t(id)]) {
            EXPECT_EQ(seen[std::size_t(id)], 0) << id;
        }
    // and the most probable token is drawn about as often as its renormalised probability
    EXPECT_NEAR(seen[std::size_t(order[0])] / double(n), probs[std::size_t(order[0])] / cumulative, 0.02);
}

TEST(Sampler, OptionsOutOfRangeAreRefused) {
    EXPECT_THROW(Sampler(4, SamplingOptions{-0.1, 0, 1.0}), UserError);
    EXPECT_THROW(Sampler(4, SamplingOptions{NAN, 0, 1.0}), UserError);
    EXPECT_THROW(Sampler(4, SamplingOptions{1.0, -1, 1.0}), UserError);
    EXPECT_THROW(Sampler(4, SamplingOptions{1.0, 0, 0.0}), UserError);
    EXPECT_THROW(Sampler(4, SamplingOptions{1.0, 0, 1.5}), UserError);
}

// ---------------------------------------------------------------------------------------
// Generator

// Argmax of the chunk-mode logits (zero state, whole text in one chunk) at the last position.
// Also returns the gap to the runner-up, to tell a real mismatch from a float near-tie.
std::pair<TokenId, float> chunk_argmax(const Parameters<float>& params, std::span<const TokenId> text) {
    Workspace<float> ws(params.config(), text.size());
    model_forward(params.view(), text, ws);
    const std::size_t V = params.config().vocab_size;
    const std::span<const float> last(ws.logits.data() + (text.size() - 1) * V, V);
    const TokenId best = Sampler::greedy(last);
    float second = -INFINITY;
    for (std::size_t i = 0; i < V; ++i)
        if (TokenId(i) != best) second = std::max(second, last[i]);
    return {best, last[std::size_t(best)] - second};
}

// Greedy generation token by token equals the argmax of the chunk form over the growing text.
void expect_greedy_matches_chunk_mode(const Parameters<float>& params, const std::vector<TokenId>& prompt,
                                      std::size_t prompt_chunk, int n) {
    Generator gen(params, prompt_chunk);
    gen.feed(prompt);
    Sampler greedy(params.config().vocab_size, SamplingOptions{0.0, 0, 1.0});
    Rng rng(0);
    std::vector<TokenId> text = prompt;
    int near_ties = 0;
    for (int i = 0; i < n; ++i) {
        const auto [expected, gap] = chunk_argmax(params, text);
        const TokenId got = gen.next(greedy, rng);
        if (got != expected) {
            // Chunk (gemm) and step (gemv) mode agree to float rounding only: accept a
            // different choice only between two logits equal to that rounding.
            EXPECT_LT(gap, 1e-5f) << "step " << i << ": generated " << got << ", chunk argmax " << expected;
            ++near_ties;
        }
        text.push_back(got);
    }
    EXPECT_LE(near_ties, 1);
    EXPECT_EQ(gen.position(), text.size());
}

TEST(Generator, GreedyEqualsChunkArgmaxGoldenModel) {
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const std::vector<TokenId> prompt = model.tokenizer.encode("GREMIO:\nGood morrow");
    expect_greedy_matches_chunk_mode(model.params, prompt, default_prompt_chunk(model.params.config()), 60);
    expect_greedy_matches_chunk_mode(model.params, prompt, 1, 20);
    expect_greedy_matches_chunk_mode(model.params, prompt, 4, 20);  // prompt in 4 pieces
}

TEST(Generator, GreedyEqualsChunkArgmaxTinyRandomModel) {
    const ModelConfig config = test::tiny_config();
    const auto params = test::noisy_parameters<float>(config, 17, 0.5);
    const auto prompt = test::random_tokens(11, config.vocab_size, 4);  // longer than ctx_len 8
    expect_greedy_matches_chunk_mode(params, prompt, 3, 40);
    expect_greedy_matches_chunk_mode(params, prompt, default_prompt_chunk(config), 40);
}

TEST(Generator, FirstTokenComesFromTheLogitsAfterTheLastPromptToken) {
    // Not from feeding the last prompt token twice (the seed program's bug).
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const std::vector<TokenId> prompt = model.tokenizer.encode("BAPTISTA:\nGood");
    Generator gen(model.params, 1);
    gen.feed(prompt);
    Workspace<float> ws(model.params.config(), prompt.size());
    model_forward(model.params.view(), std::span(prompt), ws);
    const std::size_t V = model.params.config().vocab_size;
    for (std::size_t i = 0; i < V; ++i)
        EXPECT_NEAR(gen.logits()[i], ws.logits[(prompt.size() - 1) * V + i], 1e-4) << i;
    EXPECT_EQ(gen.position(), prompt.size());
}

std::vector<TokenId> sample_text(const LoadedModel& model, std::uint64_t seed, int n) {
    Generator gen(model.params, default_prompt_chunk(model.params.config()));
    gen.feed(model.tokenizer.encode("\n"));
    Sampler sampler(model.params.config().vocab_size, SamplingOptions{});
    Rng rng(seed);
    std::vector<TokenId> out;
    generate_tokens(gen, sampler, rng, n, [&](TokenId id) { out.push_back(id); });
    return out;
}

TEST(Generator, SameSeedSameTextDifferentSeedDifferentText) {
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const auto a = sample_text(model, 42, 200);
    const auto b = sample_text(model, 42, 200);
    const auto c = sample_text(model, 43, 200);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
    EXPECT_LT(same, a.size() / 2) << "two seeds should give mostly different text";
}

TEST(Generator, RejectsIdsOutsideTheVocabulary) {
    const ModelConfig config = test::tiny_config();
    const auto params = test::noisy_parameters<float>(config, 1, 0.1);
    Generator gen(params, 4);
    const std::vector<TokenId> bad = {1, config.vocab_size};
    EXPECT_THROW(gen.feed(bad), std::out_of_range);
    EXPECT_EQ(gen.position(), 0u);
}

// ---------------------------------------------------------------------------------------
// State files

TEST(StateFile, SavedAfterPartOfThePromptContinuesLikeOneRun) {
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const auto fingerprint = fingerprint_model(model.params, model.tokenizer);
    const std::vector<TokenId> prompt = model.tokenizer.encode("GREMIO:\nGood morrow, neighbour Baptista.\n");
    const std::size_t split = 17;
    const int n = 80;
    Sampler sampler(model.params.config().vocab_size, SamplingOptions{0.9, 0, 0.95});

    // One uninterrupted run, stepping one token at a time: every float operation is then the
    // same in both runs, so the continuations must agree exactly.
    Generator whole(model.params, 1);
    whole.feed(prompt);
    const std::vector<float> logits_after_prompt(whole.logits().begin(), whole.logits().end());
    Rng rng_a(5);
    std::vector<TokenId> a;
    generate_tokens(whole, sampler, rng_a, n, [&](TokenId id) { a.push_back(id); });

    // The same prompt in two runs, through a state file between them.
    TempDir dir;
    {
        Generator first(model.params, 1);
        first.feed(std::span(prompt).first(split));
        write_state_file(dir.file("part.state"), capture_state(first, fingerprint));
    }
    Generator second(model.params, 1);
    restore_state(second, read_state_file(dir.file("part.state"), fingerprint));
    EXPECT_EQ(second.position(), split);
    second.feed(std::span(prompt).subspan(split));
    EXPECT_EQ(second.position(), prompt.size());
    for (std::size_t i = 0; i < logits_after_prompt.size(); ++i)
        ASSERT_EQ(second.logits()[i], logits_after_prompt[i]) << i;
    Rng rng_b(5);
    std::vector<TokenId> b;
    generate_tokens(second, sampler, rng_b, n, [&](TokenId id) { b.push_back(id); });
    EXPECT_EQ(a, b);
    EXPECT_EQ(second.position(), whole.position());
    for (std::size_t i = 0; i < whole.state().flat().size(); ++i)
        ASSERT_EQ(whole.state().flat()[i], second.state().flat()[i]) << i;
}

TEST(StateFile, ChunkedPromptAndLoadedStateAgreeToRounding) {
    // With the default prompt chunks the split changes how the prompt is grouped into
    // matrix products, so agreement is to float rounding, not bitwise.
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const auto fingerprint = fingerprint_model(model.params, model.tokenizer);
    const std::vector<TokenId> prompt = model.tokenizer.encode("GREMIO:\nGood morrow, neighbour Baptista.\n");
    const std::size_t chunk = default_prompt_chunk(model.params.config());
    Generator whole(model.params, chunk);
    whole.feed(prompt);
    Generator first(model.params, chunk);
    first.feed(std::span(prompt).first(9));
    const std::string bytes = encode_state_file(capture_state(first, fingerprint));
    Generator second(model.params, chunk);
    restore_state(second, decode_state_file(std::vector<char>(bytes.begin(), bytes.end()), "mem"));
    second.feed(std::span(prompt).subspan(9));
    for (std::size_t i = 0; i < whole.logits().size(); ++i)
        EXPECT_NEAR(second.logits()[i], whole.logits()[i], 1e-4) << i;
}

TEST(StateFile, ContinuingFromTheStoredLogitsNeedsNoRefeed) {
    // A state saved right after the prompt, loaded with no new prompt, draws its first
    // token from the stored logits: the same text as generating straight after the prompt.
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const auto fingerprint = fingerprint_model(model.params, model.tokenizer);
    const std::vector<TokenId> prompt = model.tokenizer.encode("ROMEO:\n");
    Sampler sampler(model.params.config().vocab_size, SamplingOptions{0.8, 5, 0.9});
    Generator direct(model.params, 8);
    direct.feed(prompt);
    const std::string bytes = encode_state_file(capture_state(direct, fingerprint));
    Rng rng_a(77);
    std::vector<TokenId> a;
    generate_tokens(direct, sampler, rng_a, 50, [&](TokenId id) { a.push_back(id); });

    Generator loaded(model.params, 8);
    restore_state(loaded, decode_state_file(std::vector<char>(bytes.begin(), bytes.end()), "mem"));
    Rng rng_b(77);
    std::vector<TokenId> b;
    generate_tokens(loaded, sampler, rng_b, 50, [&](TokenId id) { b.push_back(id); });
    EXPECT_EQ(a, b);
}

class StateFileErrors : public testing::Test {
protected:
    void SetUp() override {
        model_ = std::make_unique<LoadedModel>(load_model(kGolden + "/model.bin"));
        fingerprint_ = fingerprint_model(model_->params, model_->tokenizer);
        Generator gen(model_->params, 8);
        gen.feed(model_->tokenizer.encode("GREMIO:"));
        const std::string s = encode_state_file(capture_state(gen, fingerprint_));
        good_.assign(s.begin(), s.end());
    }

    std::string error_for(const std::vector<char>& bytes) {
        const std::string path = dir_.file("s.state");
        write_bytes(path, bytes);
        return user_error([&] { read_state_file(path, fingerprint_); });
    }

    TempDir dir_;
    std::unique_ptr<LoadedModel> model_;
    ModelFingerprint fingerprint_;
    std::vector<char> good_;
};

TEST_F(StateFileErrors, GoodFileLoads) {
    const std::string path = dir_.file("s.state");
    write_bytes(path, good_);
    const SavedState s = read_state_file(path, fingerprint_);
    EXPECT_EQ(s.position, 7u);
    const ModelConfig& c = model_->params.config();
    EXPECT_EQ(s.state.size(), std::size_t(c.n_layer * (5 + 2 * c.n_mem_slots) * c.n_embd));
    EXPECT_EQ(s.logits.size(), std::size_t(c.vocab_size));
    // 84-byte header, the floats, a 4-byte checksum: the layout the docs describe
    EXPECT_EQ(good_.size(), 84 + 4 * (s.state.size() + s.logits.size()) + 4);
}

TEST_F(StateFileErrors, TruncatedIsRefused) {
    for (std::size_t keep : {good_.size() - 1, good_.size() - 100, std::size_t(90), std::size_t(40),
                             std::size_t(10), std::size_t(3), std::size_t(0)}) {
        const std::string message = error_for(std::vector<char>(good_.begin(), good_.begin() + keep));
        EXPECT_NE(message.find("s.state"), std::string::npos) << message;
        const bool named = message.find("truncated") != std::string::npos ||
                           message.find("ends early") != std::string::npos ||
                           message.find("not an lrnn generation state file") != std::string::npos;
        EXPECT_TRUE(named) << keep << ": " << message;
    }
    std::vector<char> longer = good_;
    longer.push_back('x');
    EXPECT_NE(error_for(longer).find("unexpected bytes"), std::string::npos);
}

TEST_F(StateFileErrors, FlippedBitsAreRefusedByTheChecksum) {
    for (std::size_t at : {std::size_t(62), std::size_t(100), good_.size() / 2, good_.size() - 10,
                           good_.size() - 2}) {
        std::vector<char> bad = good_;
        bad[at] ^= 0x10;
        const std::string message = error_for(bad);
        EXPECT_NE(message.find("checksum mismatch"), std::string::npos) << at << ": " << message;
    }
    // A flip in a size field is caught before anything is allocated from it.
    std::vector<char> bad = good_;
    bad[70] ^= 0x40;  // n_state
    EXPECT_NE(error_for(bad).find("corrupted header"), std::string::npos);
}

TEST_F(StateFileErrors, WrongVersionAndMagicAreRefused) {
    std::vector<char> bad = good_;
    const std::uint32_t version = 99;
    std::memcpy(bad.data() + 8, &version, 4);
    const std::string message = error_for(bad);
    EXPECT_NE(message.find("version 99"), std::string::npos) << message;
    EXPECT_NE(message.find("reads version 1"), std::string::npos) << message;

    bad = good_;
    bad[0] = 'X';
    EXPECT_NE(error_for(bad).find("not an lrnn generation state file"), std::string::npos);
    // a model file is not a state file either
    EXPECT_NE(user_error([&] { read_state_file(kGolden + "/model.bin", fingerprint_); })
                  .find("not an lrnn generation state file"),
              std::string::npos);
}

TEST_F(StateFileErrors, AnotherModelsStateIsRefused) {
    // A different shape.
    const ModelConfig config = test::tiny_config();
    const auto tiny = test::noisy_parameters<float>(config, 3, 0.1);
    const Tokenizer tiny_vocab = Tokenizer::from_chars({'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'});
    Generator gen(tiny, 4);
    gen.feed(std::vector<TokenId>{1, 2, 3});
    const std::string path = dir_.file("tiny.state");
    write_state_file(path, capture_state(gen, fingerprint_model(tiny, tiny_vocab)));
    const std::string shape = user_error([&] { read_state_file(path, fingerprint_); });
    EXPECT_NE(shape.find("different model"), std::string::npos) << shape;
    EXPECT_NE(shape.find("n_embd=8"), std::string::npos) << shape;

    // The same shape and vocabulary, one parameter changed.
    Parameters<float> changed = model_->params;
    changed.values[12345] += 0.001f;
    write_bytes(dir_.file("x"), good_);
    const std::string params = user_error([&] {
        read_state_file(dir_.file("x"), fingerprint_model(changed, model_->tokenizer));
    });
    EXPECT_NE(params.find("different parameters"), std::string::npos) << params;

    // The same weights with a different vocabulary (two characters swapped).
    std::vector<std::uint8_t> chars = model_->tokenizer.chars();
    std::swap(chars[20], chars[21]);
    const std::string vocab = user_error([&] {
        read_state_file(dir_.file("x"), fingerprint_model(model_->params, Tokenizer::from_chars(chars)));
    });
    EXPECT_NE(vocab.find("different vocabulary"), std::string::npos) << vocab;
}

// Damage that a checksum cannot see, because the file was written with it: a position that no
// text reaches (it would wrap around) and non-finite numbers.
TEST_F(StateFileErrors, ImpossiblePositionAndNonFiniteValuesAreRefused) {
    Generator gen(model_->params, 8);
    gen.feed(model_->tokenizer.encode("GREMIO:"));
    const SavedState good = capture_state(gen, fingerprint_);
    const auto error_for_state = [&](const SavedState& s) {
        const std::string bytes = encode_state_file(s);
        return error_for(std::vector<char>(bytes.begin(), bytes.end()));
    };

    SavedState huge = good;
    huge.position = ~std::uint64_t(0);
    EXPECT_NE(error_for_state(huge).find("more than 2^48 tokens"), std::string::npos) << error_for_state(huge);
    huge.position = (std::uint64_t(1) << 48) + 1;
    EXPECT_NE(error_for_state(huge).find("corrupted header: position"), std::string::npos);

    SavedState nan_logits = good;
    nan_logits.logits[3] = std::nanf("");
    EXPECT_NE(error_for_state(nan_logits).find("logits hold a non-finite value"), std::string::npos);

    SavedState inf_state = good;
    inf_state.state[17] = INFINITY;
    EXPECT_NE(error_for_state(inf_state).find("state holds a non-finite value"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// CRC-32C

TEST(Checksum, Crc32cKnownValues) {
    EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
    EXPECT_EQ(crc32c(""), 0u);
    // RFC 3720 (iSCSI) appendix B.4 test vectors
    std::vector<unsigned char> b(32, 0);
    EXPECT_EQ(crc32c(b.data(), b.size()), 0x8A9136AAu);
    std::fill(b.begin(), b.end(), 0xFF);
    EXPECT_EQ(crc32c(b.data(), b.size()), 0x62A8AB43u);
    for (int i = 0; i < 32; ++i) b[std::size_t(i)] = std::uint8_t(i);
    EXPECT_EQ(crc32c(b.data(), b.size()), 0x46DD794Eu);
}

TEST(Checksum, IncrementalEqualsWhole) {
    Rng rng(1);
    std::vector<char> data(1000);
    for (char& c : data) c = char(rng.below(256));
    const std::uint32_t whole = crc32c(data.data(), data.size());
    for (std::size_t split : {0, 1, 7, 8, 9, 500, 999, 1000})
        EXPECT_EQ(crc32c(data.data() + split, data.size() - split, crc32c(data.data(), split)), whole)
            << split;
    data[377] ^= 1;
    EXPECT_NE(crc32c(data.data(), data.size()), whole);
}

// ---------------------------------------------------------------------------------------
// Settings

TEST(GenerateSettings, LaterSourcesWin) {
    GenerateSettings s;
    EXPECT_EQ(s.tokens, 200);
    EXPECT_DOUBLE_EQ(s.sampling.temperature, 0.8);
    EXPECT_EQ(s.sampling.top_k, 0);
    EXPECT_DOUBLE_EQ(s.sampling.top_p, 0.95);
    std::vector<std::string> warnings;
    apply_generate_yaml(s, "model: {n_layer: 2}\ngenerate:\n  tokens: 50\n  temperature: 0.5\n  prompt: \"A\"\n",
                        "model config", &warnings);
    apply_generate_yaml(s, "generate:\n  tokens: 60\n  top_k: 3\n  sample_every: 100\n", "my.yaml", &warnings);
    apply_generate_override(s, "generate.top_k=4");
    apply_generate_setting(s, "seed", "18446744073709551615", "--seed");
    EXPECT_EQ(s.tokens, 60);
    EXPECT_DOUBLE_EQ(s.sampling.temperature, 0.5);
    EXPECT_EQ(s.sampling.top_k, 4);
    EXPECT_EQ(s.prompt, "A");
    EXPECT_EQ(s.seed, 18446744073709551615ull);
    ASSERT_EQ(warnings.size(), 1u);  // sample_every: not ours, ignored with a warning
    EXPECT_NE(warnings[0].find("sample_every"), std::string::npos);
}

TEST(GenerateSettings, BadValuesAreClearErrors) {
    GenerateSettings s;
    EXPECT_NE(user_error([&] { apply_generate_setting(s, "tokens", "abc", "--tokens"); })
                  .find("'abc' is not an integer"),
              std::string::npos);
    EXPECT_NE(user_error([&] { apply_generate_setting(s, "temperature", "x", "--temperature"); })
                  .find("--temperature"),
              std::string::npos);
    EXPECT_THROW(apply_generate_setting(s, "top_p", "0.5x", "--top-p"), UserError);
    EXPECT_THROW(apply_generate_setting(s, "tokens", "1.5", "--tokens"), UserError);
    EXPECT_THROW(apply_generate_setting(s, "seed", "-2", "--seed"), UserError);
    // -1 is the config's "random": no fixed seed.
    s.seed = 5;
    apply_generate_setting(s, "seed", "-1", "config");
    EXPECT_FALSE(s.seed.has_value());
    EXPECT_THROW(apply_generate_setting(s, "temperature", "inf", "--temperature"), UserError);
    EXPECT_NE(user_error([&] { apply_generate_override(s, "generate.tokns=5"); }).find("did you mean generate.tokens"),
              std::string::npos);
    EXPECT_NE(user_error([&] { apply_generate_override(s, "model.n_layer=5"); }).find("generate.*"),
              std::string::npos);
    EXPECT_THROW(apply_generate_yaml(s, "generate: [1, 2]", "y", nullptr), UserError);
    EXPECT_THROW(apply_generate_yaml(s, "generate:\n  tokens: {a: 1}\n", "y", nullptr), UserError);
    EXPECT_NE(user_error([&] { apply_generate_yaml(s, "generate:\n  seed: ~\n", "y.yaml", nullptr); })
                  .find("y.yaml:2: generate.seed has no value"),
              std::string::npos);
    EXPECT_THROW(apply_generate_yaml(s, "generate: {tokens: 1\n", "y", nullptr), UserError);
    EXPECT_NE(user_error([&] { apply_generate_yaml(s, "generate:\n  tokens: 1\n  tokens: 2\n", "y.yaml", nullptr); })
                  .find("y.yaml:3: 'generate.tokens' appears twice"),
              std::string::npos);
    EXPECT_NE(user_error([&] { apply_generate_yaml(s, "generate: {tokens: 1}\ngenerate: {top_k: 2}\n", "y.yaml", nullptr); })
                  .find("y.yaml:2: 'generate' appears twice"),
              std::string::npos);
    s = GenerateSettings{};
    s.tokens = -1;
    EXPECT_THROW(s.validate(), UserError);
}

TEST(GenerateSettings, DefaultPrompt) {
    EXPECT_EQ(default_prompt(Tokenizer::from_chars({'\n', 'a'})), "\n");
    EXPECT_EQ(default_prompt(Tokenizer::from_chars({'a', 'b'})), "a");
    EXPECT_EQ(default_prompt(Tokenizer::build_word("hello world")), "\n");
}

TEST(BenchShapes, ShapesOfTheBenchmark) {
    const LoadedModel medium = benchmark_model("medium");
    EXPECT_EQ(medium.params.config().n_layer, 6);
    EXPECT_EQ(medium.params.config().n_embd, 256);
    EXPECT_EQ(medium.params.config().n_head, 8);
    EXPECT_EQ(medium.tokenizer.vocab_size(), 65);
    EXPECT_EQ(medium.params.config().vocab_size, 65);
    const LoadedModel small = benchmark_model("small");
    EXPECT_EQ(small.params.config().n_layer, 4);
    EXPECT_EQ(small.params.config().n_embd, 128);
    EXPECT_THROW(benchmark_model("huge"), UserError);
}

}  // namespace
}  // namespace lrnn
