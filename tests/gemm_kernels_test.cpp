// Our own sgemm kernels (core/gemm_kernels.hpp) against a double-precision reference, on every
// path this CPU can run, for shapes with tails in every dimension and more than one block, the
// three operand layouts the model uses, and beta 0, 1 and 0.5; and the determinism the trainer
// relies on: the same product gives the same bits on any thread and at any address.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/gemm.hpp"
#include "core/gemm_kernels.hpp"
#include "gemm_test_util.hpp"

namespace lrnn {
namespace {

using namespace gemm_test;

TEST(GemmKernels, MatchADoublePrecisionReferenceOnEveryPath) {
    for (const GemmPath path : available_gemm_paths())
        for_every_case([path](const Problem& p, float beta) {
            const Shape& s = p.s;
            const MatrixOperand a = p.a_op(), b = p.b_op();
            std::vector<float> c = initial_c(s, beta);
            const std::vector<float> c0 = c;
            sgemm(path, s.m, s.n, s.k, a, b, beta, c.data(), s.n);
            for (std::size_t i = 0; i < s.m; ++i)
                for (std::size_t j = 0; j < s.n; ++j) {
                    double want = beta == 0.0f ? 0.0 : double(beta) * c0[i * s.n + j];
                    double magnitude = std::abs(want);
                    for (std::size_t q = 0; q < s.k; ++q) {
                        const double term = double(element(a, i, q)) * element(b, q, j);
                        want += term;
                        magnitude += std::abs(term);
                    }
                    // Float rounding of a sum of k + 1 terms: at most (k + 2) ulps of the sum of
                    // magnitudes.
                    const double bound =
                        double(s.k + 2) * std::numeric_limits<float>::epsilon() * magnitude;
                    ASSERT_NEAR(c[i * s.n + j], want, bound)
                        << gemm_path_name(path) << " " << describe(s, p.layout) << " beta "
                        << beta << " at (" << i << ", " << j << ")";
                }
        });
}

// The model's shapes: T x d x d, T x d x F, the head, and a backward weight product.
TEST(GemmKernels, SameBitsOnAnyThreadAndAtAnyAddress) {
    const std::vector<Shape> shapes{
        {128, 128, 128}, {256, 512, 256}, {128, 65, 128}, {256, 256, 512}};
    for (const GemmPath path : available_gemm_paths())
        for (const Shape& s : shapes)
            for (const Layout layout : kLayouts) {
                const Problem p = make_problem(s, layout, s.m + s.n);
                const auto product = [&p, &s, path](float* out) {
                    sgemm(path, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, out, s.n);
                };
                std::vector<float> here(s.m * s.n);
                product(here.data());
                expect_the_same_on_other_threads(here, product, gemm_path_name(path));

                // The same operands one float further on in memory (other alignment).
                Problem moved = p;
                moved.a.insert(moved.a.begin(), 0.0f);
                moved.b.insert(moved.b.begin(), 0.0f);
                MatrixOperand a = moved.a_op(), b = moved.b_op();
                ++a.data, ++b.data;
                std::vector<float> shifted(s.m * s.n + 1);
                sgemm(path, s.m, s.n, s.k, a, b, 0.0f, shifted.data() + 1, s.n);
                EXPECT_EQ(std::vector<float>(shifted.begin() + 1, shifted.end()), here)
                    << gemm_path_name(path) << " " << s.m << "x" << s.n << "x" << s.k;
            }
}

// matmul<float> (what the model calls) is the best path's product.
TEST(GemmKernels, MatmulUsesTheBestPath) {
    const Shape s{64, 96, 80};
    const Problem p = make_problem(s, Layout::Plain, 5);
    std::vector<float> direct(s.m * s.n), via_matmul(s.m * s.n);
    sgemm(best_gemm_path(), s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, direct.data(), s.n);
    matmul(p.a.data(), p.b.data(), via_matmul.data(), s.m, s.k, s.n);
    EXPECT_EQ(via_matmul, direct);
}

}  // namespace
}  // namespace lrnn
