// Our own sgemm kernels (core/gemm_kernels.hpp) against a double-precision reference, on every
// path this CPU can run, for shapes with tails in every dimension and more than one block, the
// three operand layouts the model uses, and beta 0, 1 and 0.5; and the determinism the trainer
// relies on: the same product gives the same bits on any thread and at any address.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "core/gemm.hpp"
#include "core/gemm_kernels.hpp"
#include "core/rng.hpp"

namespace lrnn {
namespace {

struct Shape {
    std::size_t m, n, k;
};

// Tails below one tile (1, 5, 7), exact tiles (8 x 32), just over (9, 33, 257), more than one
// k block (300, 513), more than one m block (145) and n block (1030), the model's narrow
// products (n = 4, 2; k = 2), and k = 0.
const std::vector<Shape> kShapes{{1, 1, 1},    {7, 5, 3},    {8, 32, 256}, {9, 33, 257},
                                 {13, 47, 513}, {145, 65, 300}, {3, 1030, 20}, {64, 4, 64},
                                 {64, 2, 64},   {40, 48, 2},  {6, 16, 1},   {5, 7, 0}};

enum class Layout { Plain, ATransposed, BTransposed };

std::vector<float> random_values(std::size_t count, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<float> v(count);
    for (auto& x : v) x = float(rng.uniform(-1, 1));
    return v;
}

struct Problem {
    Shape s;
    Layout layout;
    std::vector<float> a, b;  // as stored: a (m, k) or, transposed, (k, m); likewise b
    MatrixOperand a_op() const {
        return layout == Layout::ATransposed ? MatrixOperand{a.data(), 1, s.m}
                                             : MatrixOperand{a.data(), s.k, 1};
    }
    MatrixOperand b_op() const {
        return layout == Layout::BTransposed ? MatrixOperand{b.data(), 1, s.k}
                                             : MatrixOperand{b.data(), s.n, 1};
    }
};

Problem make_problem(Shape s, Layout layout, std::uint64_t seed) {
    return {s, layout, random_values(s.m * s.k, seed), random_values(s.k * s.n, seed + 1)};
}

float element(const MatrixOperand& x, std::size_t i, std::size_t j) {
    return x.data[i * x.row_stride + j * x.col_stride];
}

TEST(GemmKernels, MatchADoublePrecisionReferenceOnEveryPath) {
    for (const GemmPath path : available_gemm_paths())
        for (const Shape& s : kShapes)
            for (const Layout layout : {Layout::Plain, Layout::ATransposed, Layout::BTransposed})
                for (const float beta : {0.0f, 1.0f, 0.5f}) {
                    const Problem p = make_problem(s, layout, 7 * s.m + s.n + s.k);
                    const MatrixOperand a = p.a_op(), b = p.b_op();
                    // beta == 0 must not read c: NaN there would show.
                    std::vector<float> c = beta == 0.0f
                                               ? std::vector<float>(s.m * s.n, std::nanf(""))
                                               : random_values(s.m * s.n, 99);
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
                            // Float rounding of a sum of k + 1 terms: at most (k + 2) ulps of the
                            // sum of magnitudes.
                            const double bound =
                                double(s.k + 2) * std::numeric_limits<float>::epsilon() * magnitude;
                            ASSERT_NEAR(c[i * s.n + j], want, bound)
                                << gemm_path_name(path) << " " << s.m << "x" << s.n << "x" << s.k
                                << " layout " << int(layout) << " beta " << beta << " at (" << i
                                << ", " << j << ")";
                        }
                }
}

// The model's shapes: T x d x d, T x d x F, the head, and a backward weight product.
TEST(GemmKernels, SameBitsOnAnyThreadAndAtAnyAddress) {
    const std::vector<Shape> shapes{
        {128, 128, 128}, {256, 512, 256}, {128, 65, 128}, {256, 256, 512}};
    for (const GemmPath path : available_gemm_paths())
        for (const Shape& s : shapes)
            for (const Layout layout : {Layout::Plain, Layout::ATransposed, Layout::BTransposed}) {
                const Problem p = make_problem(s, layout, s.m + s.n);
                std::vector<float> here(s.m * s.n);
                sgemm(path, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, here.data(), s.n);

                // Four threads at once, each with its own output.
                std::vector<std::vector<float>> there(4, std::vector<float>(s.m * s.n));
                {
                    std::vector<std::jthread> threads;
                    for (auto& out : there)
                        threads.emplace_back([&p, &s, &out, path] {
                            sgemm(path, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, out.data(), s.n);
                        });
                }
                for (const auto& out : there) EXPECT_EQ(out, here) << gemm_path_name(path);

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
