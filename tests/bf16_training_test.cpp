// train.precision: bf16 inside the model (core/gemm_bf16.hpp, docs/kernels.md): the invariants
// of fp32 hold in bf16 too. The batch gradient is bit-identical for 1, 2 and 4 threads; step
// mode (one token at a time, as generation runs) gives the bits of chunk mode; and the bf16
// backward is the exact derivative of the bf16-rounded forward up to the rounding of the
// gradients dy it multiplies. (Kill and resume, also on the emulated path, and the refusal to
// change the precision on resume: tests/bf16_cli_test.cpp.)

#include <gtest/gtest.h>

#include <tbb/global_control.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/cpu_features.hpp"
#include "core/gemm_bf16.hpp"
#include "train/batch_gradient.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

// Wider than tiny_config, so that the products have more than one tile and odd pair tails
// (d = 24: 12 pairs; F = 36; r = 3; S = 3).
ModelConfig bf16_config() { return test::wide_tiny_config(24); }

TEST(Bf16Training, BatchGradientIsBitIdenticalForOneTwoAndFourThreads) {
    const ModelConfig c = bf16_config();
    const auto p = test::noisy_parameters<float>(c, 1, 0.2);
    const test::RandomBatch b(c, 7, 2);  // an odd size: an uneven tree
    const auto g1 = test::batch_gradient(p, b, 1, Precision::Bf16);
    for (const int threads : {2, 4}) EXPECT_TRUE(test::same_bits(test::batch_gradient(p, b, threads, Precision::Bf16), g1)) << threads;
    // And bf16 is in effect: the fp32 gradient differs.
    EXPECT_FALSE(test::same_bits(test::batch_gradient(p, b, 1, Precision::Fp32), g1));
}

// A bf16 step multiplies one row with the same kernel arithmetic as a chunk's row (core/gemm.hpp:
// no gemv in bf16), and every other operation is the same per token: the same bits.
// The logits of 40 tokens in chunk mode and in step mode, which must have the same bits;
// returns the chunk's.
std::vector<float> expect_step_equals_chunk(const Parameters<float>& p, std::span<const TokenId> tokens,
                                            Precision precision) {
    const auto chunk = test::chunk_logits(p, tokens, precision);
    const auto step = test::step_logits(p, tokens, precision);
    EXPECT_EQ(chunk.size(), step.size());
    for (std::size_t i = 0; i < std::min(chunk.size(), step.size()); ++i)
        if (std::bit_cast<std::uint32_t>(chunk[i]) != std::bit_cast<std::uint32_t>(step[i])) {
            ADD_FAILURE() << "logit " << i << ": chunk " << chunk[i] << ", step " << step[i];
            break;
        }
    return chunk;
}

TEST(Bf16Training, StepModeEqualsChunkModeBitForBit) {
    const ModelConfig c = bf16_config();
    const auto p = test::noisy_parameters<float>(c, 11, 0.3);
    const auto tokens = test::random_tokens(40, c.vocab_size, 5);
    const auto chunk = expect_step_equals_chunk(p, tokens, Precision::Bf16);
    // And rounding to bf16 changes the logits (by far more than float rounding would).
    const auto fp32 = test::chunk_logits(p, tokens, Precision::Fp32);
    double largest = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) largest = std::max(largest, double(std::abs(chunk[i] - fp32[i])));
    EXPECT_GT(largest, 1e-4);
}

// The bf16 backward against the exact derivative of the bf16-rounded forward: the double
// reference (core/gemm.hpp) rounds x and W to bf16 in every product, forward and backward
// alike (straight through the rounding: d round(x) / dx = 1), and sums in double; it does not
// round the gradients dy. The float bf16 backward also rounds each dy it multiplies, a relative
// error of at most u = 2^-9 per element (half a unit in the last of bf16's 8 bits), and it
// feeds the rounded result on to the layers below, which round again. A tensor's gradient then
// carries a few such errors in a row (the head, then per layer the channel mix and the time
// mix, each through up to three products), largely independent: the relative error of the
// tensor's gradient (L2) stays within 8 u = 2^-6 for this 2-layer model (measured: 2.9 u at
// most); the fp32 backward, which does not round the forward, is farther from the reference
// (8.9 u), which shows the reference is the rounded forward's. Float sums add ~1e-7, negligible.
// The bf16 backward of `precision` against the double reference, as the comment above says.
void expect_the_derivative_of_the_rounded_forward(const ModelConfig& c, Precision precision) {
    const auto p = test::noisy_parameters<float>(c, 7, 0.3);
    const auto tokens = test::random_tokens(c.ctx_len + 1, c.vocab_size, 3);
    const auto inputs = std::span(tokens).first(c.ctx_len), targets = std::span(tokens).subspan(1);
    const double scale = 1.0 / double(inputs.size());

    const auto gradient_f = [&](Precision precision) {
        Parameters<float> g(c);
        Workspace<float> ws(c, inputs.size(), precision);
        model_forward(p.view(), inputs, ws);
        model_loss(ws, targets, 0.1, scale);
        model_backward(p.view(), inputs, ws, g.mutable_view());
        return g;
    };
    Parameters<double> pd(c);
    for (std::size_t i = 0; i < pd.values.size(); ++i) pd.values[i] = double(p.values[i]);
    Parameters<double> reference(c);
    {
        Workspace<double> ws(c, inputs.size(), Precision::Bf16);
        model_forward(pd.view(), inputs, ws);
        model_loss(ws, targets, 0.1, scale);
        model_backward(pd.view(), inputs, ws, reference.mutable_view());
    }
    const Parameters<float> bf16 = gradient_f(precision), fp32 = gradient_f(Precision::Fp32);
    constexpr double u = 0x1p-9;
    double worst_bf16 = 0, worst_fp32 = 0;
    for (const TensorSpec& t : reference.layout.tensors()) {
        double ref2 = 0, err2 = 0, fp32_err2 = 0;
        for (std::size_t i = t.offset; i < t.offset + t.size(); ++i) {
            const double r = reference.values[i];
            ref2 += r * r;
            err2 += (bf16.values[i] - r) * (bf16.values[i] - r);
            fp32_err2 += (fp32.values[i] - r) * (fp32.values[i] - r);
        }
        ASSERT_GT(ref2, 0) << t.name << " gets no gradient";
        const double rel = std::sqrt(err2 / ref2), fp32_rel = std::sqrt(fp32_err2 / ref2);
        EXPECT_LT(rel, 8 * u) << t.name << ": bf16 backward vs the derivative of the rounded forward";
        worst_bf16 = std::max(worst_bf16, rel);
        worst_fp32 = std::max(worst_fp32, fp32_rel);
    }
    std::cout << "largest relative gradient error (L2 per tensor): bf16 backward " << worst_bf16 / u
              << " u, fp32 backward " << worst_fp32 / u << " u (u = 2^-9)\n";
    EXPECT_GT(worst_fp32, worst_bf16);
}

TEST(Bf16Training, BackwardIsTheDerivativeOfTheRoundedForwardUpToTheRoundingOfDy) {
    expect_the_derivative_of_the_rounded_forward(bf16_config(), Precision::Bf16);
}

// bf16_amx (AMX's sums, core/gemm_bf16.hpp): the same invariants, on a model wide enough for
// whole groups of 16 pairs and a tail after them in the products (d = 80: 40 pairs; T = 40:
// 20 pairs), on a CPU with AMX-BF16.
ModelConfig amx_config() {
    ModelConfig c = bf16_config();
    c.n_embd = 80;
    c.n_head = 2;
    c.ctx_len = 40;
    return c;
}

#define LRNN_NEEDS_AMX()                                                                       \
    if (!bf16_gemm_path_available(Bf16GemmPath::Amx))                                          \
    GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") cannot run AMX-BF16 tiles"

TEST(Bf16AmxTraining, BatchGradientIsBitIdenticalForOneTwoAndFourThreads) {
    LRNN_NEEDS_AMX();
    const ModelConfig c = amx_config();
    const auto p = test::noisy_parameters<float>(c, 1, 0.2);
    const test::RandomBatch b(c, 7, 2);
    const auto g1 = test::batch_gradient(p, b, 1, Precision::Bf16Amx);
    for (const int threads : {2, 4})
        EXPECT_TRUE(test::same_bits(test::batch_gradient(p, b, threads, Precision::Bf16Amx), g1)) << threads;
    // AMX's sums are in effect: bf16's differ.
    EXPECT_FALSE(test::same_bits(test::batch_gradient(p, b, 1, Precision::Bf16), g1));
}

TEST(Bf16AmxTraining, StepModeEqualsChunkModeBitForBit) {
    LRNN_NEEDS_AMX();
    const ModelConfig c = amx_config();
    const auto p = test::noisy_parameters<float>(c, 11, 0.3);
    expect_step_equals_chunk(p, test::random_tokens(40, c.vocab_size, 5), Precision::Bf16Amx);
}

TEST(Bf16AmxTraining, BackwardIsTheDerivativeOfTheRoundedForwardUpToTheRoundingOfDy) {
    LRNN_NEEDS_AMX();
    expect_the_derivative_of_the_rounded_forward(amx_config(), Precision::Bf16Amx);
}

}  // namespace
}  // namespace lrnn
