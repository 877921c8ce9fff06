#pragma once
// What the tests of the matrix products share (gemm_kernels_test.cpp, gemm_bf16_test.cpp): the
// shapes, with tails in every dimension and more than one block; the three operand layouts the
// model uses; random operands; and the loop over every shape, layout and beta.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/gemm_kernels.hpp"
#include "core/rng.hpp"

namespace lrnn::gemm_test {

struct Shape {
    std::size_t m, n, k;
};

// Tails below one tile (1, 5, 7), exact tiles (8 x 32), just over (9, 33, 257), one row past a
// tile (9, 13, 17: the one-row kernels), more than one k block (300, 511, 513), more than one m
// block (145) and n block (1030), the model's narrow products (n = 4, 2; k = 2), and k = 0.
inline const std::vector<Shape> kShapes{
    {1, 1, 1},   {7, 5, 3},   {8, 32, 256}, {9, 33, 257}, {13, 47, 513}, {145, 65, 300}, {3, 1030, 20},
    {64, 4, 64}, {64, 2, 64}, {40, 48, 2},  {6, 16, 1},   {5, 7, 0},     {17, 31, 511}};

enum class Layout { Plain, ATransposed, BTransposed };
inline constexpr Layout kLayouts[] = {Layout::Plain, Layout::ATransposed, Layout::BTransposed};

// Uniform in (-scale, scale).
inline std::vector<float> random_values(std::size_t count, std::uint64_t seed, double scale = 1.0) {
    Rng rng(seed);
    std::vector<float> v(count);
    for (auto& x : v) x = float(scale * rng.uniform(-1, 1));
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

inline Problem make_problem(Shape s, Layout layout, std::uint64_t seed, double scale = 1.0) {
    return {s, layout, random_values(s.m * s.k, seed, scale), random_values(s.k * s.n, seed + 1, scale)};
}

inline float element(const MatrixOperand& x, std::size_t i, std::size_t j) {
    return x.data[i * x.row_stride + j * x.col_stride];
}

// "13x47x513 layout 1", for failure messages.
inline std::string describe(const Shape& s, Layout layout) {
    return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) + " layout " +
           std::to_string(int(layout));
}

// c before a product with this beta: NaN for beta 0, which must not read c (a read would
// show), random values otherwise.
inline std::vector<float> initial_c(const Shape& s, float beta) {
    return beta == 0.0f ? std::vector<float>(s.m * s.n, std::nanf("")) : random_values(s.m * s.n, 99);
}

// fn(problem, beta) for every shape of kShapes in every layout with beta 0, 1 and 0.5, until
// a fatal failure.
template <typename Fn>
void for_every_case(Fn&& fn) {
    for (const Shape& s : kShapes)
        for (const Layout layout : kLayouts)
            for (const float beta : {0.0f, 1.0f, 0.5f}) {
                fn(make_problem(s, layout, 7 * s.m + s.n + s.k), beta);
                if (::testing::Test::HasFatalFailure()) return;
            }
}

// product(out) run on four threads at once, each into an output of its own, gives `expected`
// on each: the bits do not depend on the thread.
template <typename Product>
void expect_the_same_on_other_threads(const std::vector<float>& expected, Product product,
                                      const std::string& what) {
    std::vector<std::vector<float>> there(4, std::vector<float>(expected.size()));
    {
        std::vector<std::jthread> threads;
        for (auto& out : there) threads.emplace_back([&product, &out] { product(out.data()); });
    }
    for (const auto& out : there) EXPECT_EQ(out, expected) << what;
}

}  // namespace lrnn::gemm_test
