// Generation with bfloat16 weights (`lrnn generate --weights bf16`): the conversion, the
// matrix-vector kernel against a plain loop (bit for bit), and the Generator against float32
// generation over the same rounded weights. And generation in bf16 precision
// (`--precision bf16`) over weights packed once (PackedWeights): the bits of packing them
// per product, and of a chunk's rows, on each bf16 path.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/bf16.hpp"
#include "core/cpu_features.hpp"
#include "core/gemm_bf16.hpp"
#include "core/gemm_narrow.hpp"
#include "core/rng.hpp"
#include "generate/generator.hpp"
#include "io/model_loader.hpp"
#include "model/bf16_weights.hpp"
#include "model/packed_weights.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

const std::string kGolden = std::string(LRNN_TEST_DATA_DIR) + "/char-small";

float from_bits(std::uint32_t bits) { return std::bit_cast<float>(bits); }

TEST(Bf16, RoundsToNearestTiesToEven) {
    EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
    EXPECT_EQ(bf16_to_float(0x3f80), 1.0f);
    // Just below, at and above the halfway point between 0x3f80 and 0x3f81.
    EXPECT_EQ(float_to_bf16(from_bits(0x3f807fffu)), 0x3f80);
    EXPECT_EQ(float_to_bf16(from_bits(0x3f808000u)), 0x3f80);  // tie: to the even 0x3f80
    EXPECT_EQ(float_to_bf16(from_bits(0x3f818000u)), 0x3f82);  // tie: to the even 0x3f82
    EXPECT_EQ(float_to_bf16(from_bits(0x3f808001u)), 0x3f81);
    EXPECT_EQ(float_to_bf16(-2.5f), 0xc020);
    EXPECT_EQ(float_to_bf16(0.0f), 0x0000);
    EXPECT_EQ(float_to_bf16(-0.0f), 0x8000);
    EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7f80);
    EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::infinity()), 0xff80);
    EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
    // A NaN whose payload sits in the low bits only must not round to infinity.
    EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(from_bits(0x7f800001u)))));
    // The largest float rounds up to infinity, as IEEE rounding says.
    EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7f80);
    // Relative error at most 2^-8 (half a unit in the 8th significant bit) for normal numbers.
    Rng rng(3);
    for (int i = 0; i < 10000; ++i) {
        const float v = float(rng.normal()) * 100.0f;
        EXPECT_LE(std::abs(bf16_to_float(float_to_bf16(v)) - v), std::abs(v) * 0x1p-8f) << v;
    }
}

// out = beta * out + x @ w, one column at a time in the order the kernel promises.
std::vector<float> plain_matvec(const std::vector<float>& x, const std::vector<Bf16>& w,
                                std::vector<float> out, std::size_t inner, std::size_t cols, float beta) {
    for (std::size_t c = 0; c < cols; ++c) {
        float acc = 0.0f;
        for (std::size_t i = 0; i < inner; ++i) acc += x[i] * bf16_to_float(w[i * cols + c]);
        out[c] = beta == 0.0f ? acc : beta * out[c] + acc;
    }
    return out;
}

TEST(Bf16, MatvecEqualsThePlainLoopBitForBit) {
    Rng rng(11);
    // Column counts that exercise the 128-wide blocks, the 16-wide ones and the single columns.
    for (const auto& [inner, cols] : {std::pair<std::size_t, std::size_t>{256, 512}, {64, 65},
                                     {3, 300}, {1, 1}, {17, 143}, {512, 256}}) {
        std::vector<float> x(inner), out(cols);
        std::vector<Bf16> w(inner * cols);
        for (float& v : x) v = float(rng.normal());
        for (Bf16& v : w) v = float_to_bf16(float(rng.normal()) * 0.1f);
        for (float& v : out) v = float(rng.normal());
        for (const float beta : {0.0f, 1.0f}) {
            std::vector<float> got = out;
            bf16_matvec(x.data(), w.data(), got.data(), inner, cols, beta);
            const std::vector<float> expected = plain_matvec(x, w, out, inner, cols, beta);
            for (std::size_t c = 0; c < cols; ++c)
                ASSERT_EQ(std::bit_cast<std::uint32_t>(got[c]), std::bit_cast<std::uint32_t>(expected[c]))
                    << inner << "x" << cols << " beta " << beta << " column " << c;
        }
    }
}

TEST(Bf16Weights, FindsTheCopyOfEveryTensorAndNothingElse) {
    const auto params = test::noisy_parameters<float>(test::tiny_config(), 5, 0.5);
    const Bf16Weights copy(params);
    for (const TensorSpec& t : params.layout.tensors()) {
        const Bf16* w = copy.find(params.values.data() + t.offset);
        ASSERT_NE(w, nullptr) << t.name;
        for (std::size_t i = 0; i < t.size(); ++i)
            ASSERT_EQ(w[i], float_to_bf16(params.values[t.offset + i])) << t.name << "[" << i << "]";
    }
    const std::vector<float> elsewhere(4);
    EXPECT_EQ(copy.find(elsewhere.data()), nullptr);
    EXPECT_EQ(copy.find(params.values.data() + params.values.size()), nullptr);
}

// The logits after stepping `text` token by token.
std::vector<std::vector<float>> step_logits(const Parameters<float>& params, const std::vector<TokenId>& text,
                                            WeightPrecision weights) {
    Generator gen(params, 1, weights);
    std::vector<std::vector<float>> out;
    for (const TokenId id : text) {
        gen.feed(std::span(&id, 1));
        out.emplace_back(gen.logits().begin(), gen.logits().end());
    }
    return out;
}

// bf16 generation is float32 generation over a model whose product weights (every matrix
// but the embedding table, which is looked up, not multiplied) are rounded to bf16: the same
// model, the products summed in another order. So the logits agree to float rounding, not
// to the rounding of the weights.
TEST(Bf16Generation, EqualsFloatGenerationOverTheRoundedWeights) {
    const LoadedModel model = load_model(kGolden + "/model.bin");
    Parameters<float> rounded = model.params;
    for (const TensorSpec& t : rounded.layout.tensors()) {
        if (t.is_vector() || t.name == "emb") continue;
        for (std::size_t i = t.offset; i < t.offset + t.size(); ++i)
            rounded.values[i] = bf16_to_float(float_to_bf16(rounded.values[i]));
    }
    const std::vector<TokenId> text = model.tokenizer.encode("KING RICHARD III:\nNow is the winter of our");
    const auto bf16 = step_logits(model.params, text, WeightPrecision::Bf16);
    const auto reference = step_logits(rounded, text, WeightPrecision::Float32);
    const auto exact = step_logits(model.params, text, WeightPrecision::Float32);
    double largest_gap_to_exact = 0;
    for (std::size_t t = 0; t < text.size(); ++t)
        for (std::size_t i = 0; i < bf16[t].size(); ++i) {
            EXPECT_NEAR(bf16[t][i], reference[t][i], 1e-4 * (1 + std::abs(reference[t][i]))) << t << " " << i;
            largest_gap_to_exact = std::max(largest_gap_to_exact, double(std::abs(bf16[t][i] - exact[t][i])));
        }
    // And the rounding of the weights does show (the mode is not silently float32) while the
    // logits stay close to the exact model's.
    EXPECT_GT(largest_gap_to_exact, 1e-4);
    EXPECT_LT(largest_gap_to_exact, 0.1);
}

TEST(Bf16Generation, PromptChunksUseTheFloatWeights) {
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const std::vector<TokenId> prompt = model.tokenizer.encode("ROMEO:\nBut soft");
    Generator bf16(model.params, 64, WeightPrecision::Bf16);
    Generator exact(model.params, 64, WeightPrecision::Float32);
    bf16.feed(prompt);
    exact.feed(prompt);
    for (std::size_t i = 0; i < exact.logits().size(); ++i)
        ASSERT_EQ(bf16.logits()[i], exact.logits()[i]) << i;
}

TEST(Bf16Generation, SameSeedSameText) {
    const LoadedModel model = load_model(kGolden + "/model.bin");
    auto sample = [&](std::uint64_t seed) {
        Generator gen(model.params, 8, WeightPrecision::Bf16);
        gen.feed(model.tokenizer.encode("\n"));
        Sampler sampler(model.params.config().vocab_size, SamplingOptions{});
        Rng rng(seed);
        std::vector<TokenId> out;
        generate_tokens(gen, sampler, rng, 200, [&](TokenId id) { out.push_back(id); });
        return out;
    };
    EXPECT_EQ(sample(7), sample(7));
    EXPECT_NE(sample(7), sample(8));
}

// The logits (V per token) of running `text` through the model in bf16 products, in chunks of
// `chunk` tokens (1: stepping), the state carried; the weights pre-packed (`packed`) or packed
// in every product (nullptr).
std::vector<float> bf16_logits(const Parameters<float>& params, std::span<const TokenId> text,
                               std::size_t chunk, const PackedWeights* packed) {
    Workspace<float> ws(params.config(), chunk, Precision::Bf16);
    ws.packed_weights = packed;
    RecurrentState<float> state(params.config());
    const ModelView<const float*> view = params.view();
    const std::size_t V = std::size_t(params.config().vocab_size);
    std::vector<float> out;
    for (std::size_t at = 0; at < text.size(); at += chunk) {
        const std::size_t n = std::min(chunk, text.size() - at);
        model_forward(view, text.subspan(at, n), ws, &state);
        out.insert(out.end(), ws.logits.begin(), ws.logits.begin() + std::ptrdiff_t(n * V));
    }
    return out;
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& expected,
                      const std::string& what) {
    ASSERT_EQ(got.size(), expected.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(std::bit_cast<std::uint32_t>(got[i]), std::bit_cast<std::uint32_t>(expected[i]))
            << what << ": logit " << i << ", " << got[i] << " against " << expected[i];
}

// Steps over weights pre-packed on `path` against steps that pack them in every product (on
// the process's path, LRNN_GEMM_BF16: the bits of every path), against one chunk of the whole
// text, and pre-packed chunks (with a shorter last one) against them all.
void expect_prepacked_bits(Bf16GemmPath path) {
    const LoadedModel model = load_model(kGolden + "/model.bin");
    const std::vector<TokenId> text = model.tokenizer.encode("KING RICHARD III:\nNow is the winter of our");
    const PackedWeights packed(model.params, Precision::Bf16, PackedOrientations::Forward, path);
    const auto prepacked_steps = bf16_logits(model.params, text, 1, &packed);
    expect_same_bits(prepacked_steps, bf16_logits(model.params, text, 1, nullptr), "packing per step");
    expect_same_bits(prepacked_steps, bf16_logits(model.params, text, text.size(), nullptr), "one chunk");
    expect_same_bits(bf16_logits(model.params, text, 16, &packed), prepacked_steps, "pre-packed chunks");
    // The Generator of `--precision bf16` packs its weights on the process's path: the same bits.
    Generator gen(model.params, 1, WeightPrecision::Float32, Precision::Bf16);
    std::vector<float> generator_steps;
    for (const TokenId id : text) {
        gen.feed(std::span(&id, 1));
        generator_steps.insert(generator_steps.end(), gen.logits().begin(), gen.logits().end());
    }
    expect_same_bits(generator_steps, prepacked_steps, "Generator steps");
}

TEST(Bf16Generation, PrepackedWeightsGiveTheBitsOfPackingPerProductEmulated) {
    if (!bf16_gemm_path_available(Bf16GemmPath::Emulated))
        GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") has no AVX2/FMA3";
    expect_prepacked_bits(Bf16GemmPath::Emulated);
}

TEST(Bf16Generation, PrepackedWeightsGiveTheBitsOfPackingPerProductAvx512Bf16) {
    if (!bf16_gemm_path_available(Bf16GemmPath::Avx512Bf16))
        GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") has no AVX512_BF16";
    expect_prepacked_bits(Bf16GemmPath::Avx512Bf16);
}


TEST(Bf16Generation, WeightNamesParse) {
    EXPECT_EQ(parse_weight_precision("float32"), WeightPrecision::Float32);
    EXPECT_EQ(parse_weight_precision("bf16"), WeightPrecision::Bf16);
    EXPECT_FALSE(parse_weight_precision("fp16").has_value());
    EXPECT_FALSE(parse_weight_precision("").has_value());
    EXPECT_EQ(weight_precision_name(WeightPrecision::Bf16), "bf16");
    EXPECT_EQ(weight_precision_name(WeightPrecision::Float32), "float32");
}

}  // namespace
}  // namespace lrnn
