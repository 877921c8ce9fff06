// Invariant 1: the backward pass is the exact gradient (model-spec.md section 7), shown by
// central finite differences in double precision on every parameter tensor.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "test_util.hpp"

namespace lrnn {
namespace {

struct Problem {
    // T = steps: 9 by default, one segment of the scan (model/layers.hpp).
    explicit Problem(std::size_t steps = 9) : tokens(test::random_tokens(steps + 1, config.vocab_size, 3)) {}

    ModelConfig config = test::tiny_config();
    Parameters<double> params = test::noisy_parameters<double>(config, 7, 0.3);
    std::vector<TokenId> tokens;
    double label_smoothing = 0.1;

    std::span<const TokenId> inputs() const { return std::span(tokens).first(tokens.size() - 1); }
    std::span<const TokenId> targets() const { return std::span(tokens).subspan(1); }

    double loss() {
        Workspace<double> ws(config, inputs().size());
        model_forward(params.view(), inputs(), ws);
        return model_loss(ws, targets(), label_smoothing, 1.0).optimized / double(inputs().size());
    }

    Parameters<double> gradient() {
        Parameters<double> grads(config);
        Workspace<double> ws(config, inputs().size());
        model_forward(params.view(), inputs(), ws);
        model_loss(ws, targets(), label_smoothing, 1.0 / double(inputs().size()));
        model_backward(params.view(), inputs(), ws, grads.mutable_view());
        return grads;
    }
};

void expect_every_tensor_matches_finite_differences(Problem& problem) {
    const Parameters<double> analytic = problem.gradient();
    int checked_tensors = 0;
    for (const TensorSpec& t : problem.params.layout.tensors()) {
        // The entries with the largest gradients, and a spread of others.
        std::vector<std::size_t> order(t.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return std::abs(analytic.values[t.offset + a]) > std::abs(analytic.values[t.offset + b]);
        });
        std::vector<std::size_t> entries(order.begin(), order.begin() + std::min<std::size_t>(4, t.size()));
        for (std::size_t i = 0; i < t.size(); i += std::max<std::size_t>(1, t.size() / 4)) entries.push_back(i);

        double largest = 0;
        for (std::size_t i : entries) {
            const std::size_t at = t.offset + i;
            const double saved = problem.params.values[at];
            // Fourth-order central difference: truncation O(h^4) and round-off O(eps / h) are
            // both ~1e-13 here, far below the 1e-6 relative tolerance even for small gradients.
            const double h = 1e-3 * std::max(1.0, std::abs(saved));
            auto loss_at = [&](double x) {
                problem.params.values[at] = x;
                return problem.loss();
            };
            const double numeric = (8 * (loss_at(saved + h) - loss_at(saved - h)) -
                                    (loss_at(saved + 2 * h) - loss_at(saved - 2 * h))) /
                                   (12 * h);
            problem.params.values[at] = saved;
            const double exact = analytic.values[at];
            const double scale = std::max(std::abs(numeric), std::abs(exact));
            largest = std::max(largest, scale);
            if (scale > 1e-7) {
                EXPECT_LT(std::abs(numeric - exact) / scale, 1e-6)
                    << t.name << "[" << i << "]: backward " << exact << ", finite difference " << numeric;
            } else {
                EXPECT_LT(std::abs(numeric - exact), 1e-12) << t.name << "[" << i << "]";
            }
        }
        // A tensor whose gradient is zero everywhere would pass vacuously: every tensor must
        // receive gradient through some path.
        EXPECT_GT(largest, 1e-6) << t.name << " gets no gradient";
        ++checked_tensors;
    }
    EXPECT_EQ(checked_tensors, 3 + 24 * problem.config.n_layer + 3);
}

TEST(GradientCheck, EveryTensorMatchesFiniteDifferences) {
    Problem problem;
    expect_every_tensor_matches_finite_differences(problem);
}

// Two full segments of the scan and a part of one: the backward pass recomputes the states
// inside each segment from its first (model/layers.hpp).
TEST(GradientCheck, EveryTensorMatchesFiniteDifferencesOverSeveralScanSegments) {
    Problem problem(2 * kScanSegment + 5);
    ASSERT_EQ(scan_final_slot(problem.inputs().size()), 3u);
    expect_every_tensor_matches_finite_differences(problem);
}

TEST(GradientCheck, ClampexpSaturationHasZeroDerivative) {
    // time_first far outside [-10, 10]: beta saturates, its gradient must be exactly zero.
    Problem problem;
    const TensorSpec* tf = problem.params.layout.find("layers.0.time_first");
    ASSERT_NE(tf, nullptr);
    for (std::size_t i = 0; i < tf->size(); ++i) problem.params.values[tf->offset + i] = 12.0;
    const Parameters<double> g = problem.gradient();
    for (std::size_t i = 0; i < tf->size(); ++i) EXPECT_EQ(g.values[tf->offset + i], 0.0);
}

TEST(GradientCheck, GradientsAccumulateAcrossChunks) {
    // backward adds into the gradient buffer: two backward passes give twice one.
    Problem problem;
    const Parameters<double> once = problem.gradient();
    Parameters<double> twice(problem.config);
    for (int rep = 0; rep < 2; ++rep) {
        Workspace<double> ws(problem.config, problem.inputs().size());
        model_forward(problem.params.view(), problem.inputs(), ws);
        model_loss(ws, problem.targets(), problem.label_smoothing, 1.0 / double(problem.inputs().size()));
        model_backward(problem.params.view(), problem.inputs(), ws, twice.mutable_view());
    }
    for (std::size_t i = 0; i < once.values.size(); ++i)
        EXPECT_NEAR(twice.values[i], 2 * once.values[i], 1e-14 + 1e-12 * std::abs(once.values[i]));
}

}  // namespace
}  // namespace lrnn
