// The weights packed once per training step (model/packed_weights.hpp): which matrices are
// packed, and that a chunk's products over them give the bits of packing in every product, in
// bf16 and bf16_amx, after the weights change too.

#include <gtest/gtest.h>

#include <cstddef>
#include <span>
#include <stdexcept>
#include <vector>

#include "core/gemm_bf16.hpp"
#include "core/cpu_features.hpp"
#include "core/gemm_narrow.hpp"
#include "model/packed_weights.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

// More than one panel of 32 with an edge (d = 40, F = 60), and the narrow matrices (rank 3,
// 3 slots), which are not packed.
ModelConfig packed_config() { return test::wide_tiny_config(40); }

// The packed precisions this CPU can run: bf16 where it has a bf16 path, bf16_amx on AMX.
std::vector<Precision> runnable_precisions() {
    std::vector<Precision> out;
    if (!available_bf16_gemm_paths().empty()) out.push_back(Precision::Bf16);
    if (bf16_gemm_path_available(Bf16GemmPath::Amx)) out.push_back(Precision::Bf16Amx);
    return out;
}

// One chunk's logits and gradient (forward, loss, backward), over `packed` weights or packing
// in every product (nullptr).
struct ChunkResult {
    std::vector<float> logits, gradient;
};
ChunkResult run_chunk(const Parameters<float>& p, std::span<const TokenId> chunk,
                      Precision precision, const PackedWeights* packed) {
    Workspace<float> ws(p.config(), chunk.size() - 1, precision);
    ws.packed_weights = packed;
    Parameters<float> grad(p.config());
    const std::size_t T = chunk.size() - 1;
    model_forward(p.view(), chunk.first(T), ws);
    ChunkResult out;
    out.logits.assign(ws.logits.begin(), ws.logits.begin() + std::ptrdiff_t(T * std::size_t(p.config().vocab_size)));
    model_loss(ws, chunk.subspan(1), 0.1, 1.0 / double(T));
    model_backward(p.view(), chunk.first(T), ws, grad.mutable_view());
    out.gradient = grad.values;
    return out;
}

#define LRNN_NEEDS_BF16()                                                                      \
    if (runnable_precisions().empty())                                                         \
    GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") can run no bf16 product"

// One chunk's gradient (label smoothing 0.1, loss scale `scale`) packing in every product.
std::vector<float> unpacked_gradient(const Parameters<float>& p, std::span<const TokenId> chunk,
                                     Precision precision, double scale) {
    const std::size_t T = chunk.size() - 1;
    Workspace<float> ws(p.config(), T, precision);
    Parameters<float> grad(p.config());
    model_forward(p.view(), chunk.first(T), ws);
    model_loss(ws, chunk.subspan(1), 0.1, scale);
    model_backward(p.view(), chunk.first(T), ws, grad.mutable_view());
    return grad.values;
}

TEST(PackedWeights, PacksEveryTiledMatrixOnEachSideAndFindsNothingElse) {
    LRNN_NEEDS_BF16();
    const auto params = test::noisy_parameters<float>(packed_config(), 5, 0.5);
    for (const Precision precision : runnable_precisions()) {
        const PackedWeights both(params, precision, PackedOrientations::ForwardAndBackward);
        const PackedWeights forward(params, precision, PackedOrientations::Forward);
        EXPECT_TRUE(both.packed_from(params));
        std::size_t tiled = 0;
        for (const TensorSpec& t : params.layout.tensors()) {
            const float* w = params.values.data() + t.offset;
            const bool matrix = !t.is_vector() && t.name != "emb";
            const bool forward_tiled = matrix && t.cols > kNarrowSide;
            const bool backward_tiled = matrix && t.rows > kNarrowSide;
            const PackedWeights::Matrix* m = both.find(w);
            const PackedWeights::Matrix* f = forward.find(w);
            if (!forward_tiled && !backward_tiled) {
                EXPECT_EQ(m, nullptr) << t.name;
                continue;
            }
            ++tiled;
            ASSERT_NE(m, nullptr) << t.name;
            EXPECT_EQ(m->rows, t.rows) << t.name;
            EXPECT_EQ(m->cols, t.cols) << t.name;
            EXPECT_EQ(m->forward.has_value(), forward_tiled) << t.name;
            EXPECT_EQ(m->backward.has_value(), backward_tiled) << t.name;
            if (forward_tiled) {
                ASSERT_NE(f, nullptr) << t.name;
                EXPECT_FALSE(f->backward.has_value()) << t.name;
            } else {
                EXPECT_EQ(f, nullptr) << t.name;
            }
        }
        EXPECT_EQ(both.size(), tiled);
        EXPECT_GT(tiled, 4u);
        // Inside a matrix, and outside the buffer: nothing.
        const TensorSpec& head = params.layout.tensors().back();
        ASSERT_EQ(head.name, "head");
        EXPECT_EQ(both.find(params.values.data() + head.offset + 1), nullptr);
        const std::vector<float> elsewhere(4);
        EXPECT_EQ(both.find(elsewhere.data()), nullptr);
        EXPECT_FALSE(both.packed_from(Parameters<float>(params.config())));
    }
    // fp32 products pack their own operands (a plain copy): no packed copy for them.
    EXPECT_THROW(PackedWeights(params, Precision::Fp32, PackedOrientations::Forward),
                 std::invalid_argument);
}

TEST(PackedWeights, AChunkOverPackedWeightsHasTheBitsOfPackingInEveryProduct) {
    LRNN_NEEDS_BF16();
    const ModelConfig c = packed_config();
    const auto p = test::noisy_parameters<float>(c, 3, 0.3);
    const auto tokens = test::random_tokens(c.ctx_len + 1, c.vocab_size, 4);
    for (const Precision precision : runnable_precisions()) {
        const PackedWeights packed(p, precision, PackedOrientations::ForwardAndBackward);
        const ChunkResult per_product = run_chunk(p, tokens, precision, nullptr);
        const ChunkResult prepacked = run_chunk(p, tokens, precision, &packed);
        EXPECT_TRUE(test::same_bits(prepacked.logits, per_product.logits)) << precision_name(precision);
        EXPECT_TRUE(test::same_bits(prepacked.gradient, per_product.gradient)) << precision_name(precision);
    }
}

// The products really read the packed copy: packed before a change of the weights, a chunk
// computes with the old ones; repacked, with the new ones, bit for bit.
TEST(PackedWeights, RepackTakesTheChangedWeights) {
    LRNN_NEEDS_BF16();
    const ModelConfig c = packed_config();
    auto p = test::noisy_parameters<float>(c, 6, 0.3);
    const auto tokens = test::random_tokens(c.ctx_len + 1, c.vocab_size, 7);
    for (const Precision precision : runnable_precisions()) {
        const auto old_values = p.values;
        PackedWeights packed(p, precision, PackedOrientations::ForwardAndBackward);
        for (float& v : p.values) v *= 1.01f;
        const ChunkResult expected = run_chunk(p, tokens, precision, nullptr);
        EXPECT_FALSE(test::same_bits(run_chunk(p, tokens, precision, &packed).logits, expected.logits))
            << precision_name(precision) << ": the stale copy was not read";
        packed.repack();
        const ChunkResult repacked = run_chunk(p, tokens, precision, &packed);
        EXPECT_TRUE(test::same_bits(repacked.logits, expected.logits)) << precision_name(precision);
        EXPECT_TRUE(test::same_bits(repacked.gradient, expected.gradient)) << precision_name(precision);
        p.values = old_values;
    }
}

// A training step changes the weights in place between two steps: the step's first compute()
// packs them again. A rank of a distributed run sums several tree nodes of one step: the
// others reuse them (Weights::AsLastCompute). Each node's sum is its chunk's gradient packing
// in every product.
TEST(PackedWeights, EachStepPacksItsWeightsOnceForAllItsNodes) {
    LRNN_NEEDS_BF16();
    const ModelConfig c = packed_config();
    auto p = test::noisy_parameters<float>(c, 10, 0.3);
    const test::RandomBatch batch(c, 2, 11);
    for (const Precision precision : runnable_precisions()) {
        BatchGradient bg(c, c.ctx_len, precision);
        for (int step = 0; step < 2; ++step) {
            const double scale = mean_loss_scale(batch.chunks);
            for (std::size_t node = 0; node < 2; ++node) {
                std::vector<float> sum(p.values.size());
                bg.compute(p, batch.chunks, node, node + 1, 0.1, scale, sum,
                           node == 0 ? BatchGradient::Weights::Changed
                                     : BatchGradient::Weights::AsLastCompute);
                EXPECT_TRUE(test::same_bits(sum, unpacked_gradient(p, batch.chunks[node], precision, scale)))
                    << precision_name(precision) << ", step " << step << ", node " << node;
            }
            for (float& v : p.values) v -= 0.01f * v;  // in place, as AdamW's step
        }
    }
}

}  // namespace
}  // namespace lrnn
