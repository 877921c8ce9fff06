// The narrow products (core/gemm_narrow.hpp): the decay LoRA's and the slot gates' shapes,
// against a double reference, in both precisions; one row gives a chunk row's bits; and
// core/gemm.hpp sends narrow float products there.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/bf16.hpp"
#include "core/gemm.hpp"
#include "core/gemm_narrow.hpp"
#include "core/rng.hpp"

namespace lrnn {
namespace {

std::vector<float> random_values(std::size_t count, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<float> v(count);
    for (float& x : v) x = float(rng.uniform(-1, 1));
    return v;
}

double as_input(float v, bool bf16) {
    return bf16 ? double(bf16_to_float(float_to_bf16_flushed(v))) : double(v);
}

// The three products in double, each input rounded to bf16 first if asked: reference and
// error bound (float rounding of sums of |terms|).
struct Reference {
    std::vector<double> value, bound;
};

// out (n, cols) = beta * out + a (n, inner) @ b (inner, cols), a and b given by element getters.
template <typename A, typename B>
Reference reference(std::size_t n, std::size_t inner, std::size_t cols, A a, B b,
                    const std::vector<float>& out, float beta) {
    Reference r{std::vector<double>(n * cols), std::vector<double>(n * cols)};
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            double sum = 0, size = 0;
            for (std::size_t p = 0; p < inner; ++p) {
                sum += a(i, p) * b(p, j);
                size += std::abs(a(i, p) * b(p, j));
            }
            r.value[i * cols + j] = double(beta) * double(out[i * cols + j]) + sum;
            r.bound[i * cols + j] = 1e-6 * (size + std::abs(double(beta) * double(out[i * cols + j]))) + 1e-30;
        }
    return r;
}

void expect_near(const std::vector<float>& got, const Reference& want, const std::string& what) {
    for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(double(got[i]), want.value[i], want.bound[i]) << what << " element " << i;
}

struct Shape {
    std::size_t n, inner, cols;
};

// Narrow on one side or the other, and the model's own: LoRA rank 2, 4 slots, d 256.
const std::vector<Shape> kShapes = {
    {7, 256, 2}, {64, 256, 4}, {5, 17, 3}, {3, 33, 1}, {64, 2, 256}, {9, 4, 33}, {6, 3, 5},
    {2, 1, 17}, {1, 256, 4}, {1, 2, 256}, {256, 256, 2},
};

// One product: c (rows, cols), filled with random values, = beta * c + a @ b (depth inner),
// a and b given as random buffers and the getters that read them as (rows, depth) and
// (depth, cols) matrices; `run` calls the narrow function on the buffers.
template <typename AAt, typename BAt, typename Run>
void expect_like_the_reference(const std::string& what, std::size_t rows, std::size_t depth,
                               std::size_t cols, std::size_t a_size, std::size_t b_size, float beta,
                               bool bf16, AAt a_at, BAt b_at, Run run) {
    const auto a = random_values(a_size, 1), b = random_values(b_size, 2);
    std::vector<float> c = random_values(rows * cols, 3);
    const Reference want = reference(
        rows, depth, cols, [&](auto i, auto p) { return as_input(a[a_at(i, p)], bf16); },
        [&](auto p, auto j) { return as_input(b[b_at(p, j)], bf16); }, c, beta);
    run(a.data(), b.data(), c.data());
    expect_near(c, want, what);
}

TEST(GemmNarrow, MatchesADoubleReferenceInBothPrecisions) {
    for (const bool bf16 : {false, true})
        for (const Shape& s : kShapes)
            for (const float beta : {0.0f, 1.0f, 0.5f}) {
                const std::size_t n = s.n, inner = s.inner, cols = s.cols;
                const std::string what = std::string(bf16 ? "bf16" : "fp32") + " n " + std::to_string(n) +
                                         " inner " + std::to_string(inner) + " cols " + std::to_string(cols) +
                                         " beta " + std::to_string(beta);
                if (cols <= kNarrowSide)  // out (n, cols) = beta out + x (n, inner) @ w (inner, cols)
                    expect_like_the_reference(
                        "forward " + what, n, inner, cols, n * inner, inner * cols, beta, bf16,
                        [&](auto i, auto p) { return i * inner + p; }, [&](auto p, auto j) { return p * cols + j; },
                        [&](const float* x, const float* w, float* out) {
                            narrow_matmul(x, w, out, n, inner, cols, beta, bf16);
                        });
                if (inner <= kNarrowSide)  // dx (n, inner) = beta dx + dy (n, cols) @ w^T, w (inner, cols)
                    expect_like_the_reference(
                        "backward input " + what, n, cols, inner, n * cols, inner * cols, beta, bf16,
                        [&](auto i, auto p) { return i * cols + p; }, [&](auto p, auto j) { return j * cols + p; },
                        [&](const float* dy, const float* w, float* dx) {
                            narrow_matmul_backward_input(dy, w, dx, n, inner, cols, beta, bf16);
                        });
                if (beta == 1.0f)  // dw (inner, cols) += x^T (inner, n) @ dy (n, cols)
                    expect_like_the_reference(
                        "backward weight " + what, inner, n, cols, n * inner, n * cols, 1.0f, bf16,
                        [&](auto i, auto t) { return t * inner + i; }, [&](auto t, auto j) { return t * cols + j; },
                        [&](const float* x, const float* dy, float* dw) {
                            narrow_matmul_backward_weight(x, dy, dw, n, inner, cols, bf16);
                        });
            }
}

bool same_bits(const float* a, const float* b, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (std::bit_cast<std::uint32_t>(a[i]) != std::bit_cast<std::uint32_t>(b[i])) return false;
    return true;
}

TEST(GemmNarrow, OneRowGivesTheBitsOfAChunkRow) {
    for (const bool bf16 : {false, true})
        for (const Shape& s : {Shape{40, 256, 4}, Shape{40, 256, 1}}) {
            const auto x = random_values(s.n * s.inner, 11), w = random_values(s.inner * s.cols, 12);
            std::vector<float> chunk(s.n * s.cols), row(s.cols);
            narrow_matmul(x.data(), w.data(), chunk.data(), s.n, s.inner, s.cols, 0.0f, bf16);
            for (std::size_t i = 0; i < s.n; ++i) {
                narrow_matmul(x.data() + i * s.inner, w.data(), row.data(), 1, s.inner, s.cols, 0.0f, bf16);
                ASSERT_TRUE(same_bits(row.data(), chunk.data() + i * s.cols, s.cols)) << "row " << i;
            }
            // and the backward input product, w (cols, inner) read as w^T
            const auto dy = random_values(s.n * s.inner, 13);
            std::vector<float> dx_chunk(s.n * s.cols), dx_row(s.cols);
            narrow_matmul_backward_input(dy.data(), w.data(), dx_chunk.data(), s.n, s.cols, s.inner, 0.0f, bf16);
            for (std::size_t i = 0; i < s.n; ++i) {
                narrow_matmul_backward_input(dy.data() + i * s.inner, w.data(), dx_row.data(), 1, s.cols,
                                             s.inner, 0.0f, bf16);
                ASSERT_TRUE(same_bits(dx_row.data(), dx_chunk.data() + i * s.cols, s.cols)) << "dx row " << i;
            }
        }
}

TEST(GemmNarrow, TheModelsFloatProductsOfNarrowShapesRunThese) {
    // the slot gates (S = 4) and the decay LoRA (rank 2) of a chunk of T steps, width d
    const std::size_t T = 33, d = 64, S = 4, rank = 2;
    const auto u = random_values(T * d, 21), wg = random_values(d * S, 22), g = random_values(T * S, 23);
    const auto ddecay = random_values(T * d, 24), lora_b = random_values(rank * d, 25);
    for (const Precision precision : {Precision::Fp32, Precision::Bf16}) {
        const bool bf16 = precision == Precision::Bf16;
        std::vector<float> via_gemm(T * S), direct(T * S);
        matmul(u.data(), wg.data(), via_gemm.data(), T, d, S, 0.0f, precision);
        narrow_matmul(u.data(), wg.data(), direct.data(), T, d, S, 0.0f, bf16);
        EXPECT_TRUE(same_bits(via_gemm.data(), direct.data(), T * S)) << precision_name(precision);

        std::vector<float> mid_gemm(T * rank), mid_direct(T * rank);
        matmul_backward_input(ddecay.data(), lora_b.data(), mid_gemm.data(), T, rank, d, 0.0f, precision);
        narrow_matmul_backward_input(ddecay.data(), lora_b.data(), mid_direct.data(), T, rank, d, 0.0f, bf16);
        EXPECT_TRUE(same_bits(mid_gemm.data(), mid_direct.data(), T * rank)) << precision_name(precision);

        std::vector<float> dw_gemm(d * S, 0.25f), dw_direct(d * S, 0.25f);
        matmul_backward_weight(u.data(), g.data(), dw_gemm.data(), T, d, S, precision);
        narrow_matmul_backward_weight(u.data(), g.data(), dw_direct.data(), T, d, S, bf16);
        EXPECT_TRUE(same_bits(dw_gemm.data(), dw_direct.data(), d * S)) << precision_name(precision);

        std::vector<float> db_gemm(rank * d, 0.25f), db_direct(rank * d, 0.25f);
        matmul_backward_weight(g.data(), ddecay.data(), db_gemm.data(), T, rank, d, precision);
        narrow_matmul_backward_weight(g.data(), ddecay.data(), db_direct.data(), T, rank, d, bf16);
        EXPECT_TRUE(same_bits(db_gemm.data(), db_direct.data(), rank * d)) << precision_name(precision);
    }
}

}  // namespace
}  // namespace lrnn
