// The AMX product of precision bf16_amx (core/gemm_bf16.hpp, path Amx). TDPBF16PS sums a group
// of 16 pairs its own way, so there is no scalar model to hold it to bit for bit; what must
// hold is what makes a bf16_amx run exact: the same bits whatever the layout of the operands,
// the row count of the product (a generation step against a chunk), the edges of the blocking,
// b packed once or per product, and the thread. And the sums themselves: close to the exact
// ones, each whole group summed by the tiles (more precisely than vdpbf16ps), the pairs after
// the last group by vdpbf16ps's rule. Skipped, saying so, on a CPU without AMX-BF16.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/bf16.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/gemm_bf16.hpp"
#include "gemm_test_util.hpp"

namespace lrnn {
namespace {

using namespace gemm_test;

std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }

#define LRNN_NEEDS_AMX()                                                                       \
    if (!bf16_gemm_path_available(Bf16GemmPath::Amx))                                          \
    GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") cannot run AMX-BF16 tiles"

// a (m, k) and b (k, n) given once by value, stored in each layout the model uses.
struct SameValues {
    Shape s;
    std::vector<float> a, a_t, b, b_t;  // a as stored (m, k) and transposed (k, m); likewise b

    SameValues(Shape shape, std::uint64_t seed, double scale = 1.0)
        : s(shape), a(random_values(s.m * s.k, seed, scale)), a_t(s.m * s.k),
          b(random_values(s.k * s.n, seed + 1, scale)), b_t(s.k * s.n) {
        for (std::size_t i = 0; i < s.m; ++i)
            for (std::size_t p = 0; p < s.k; ++p) a_t[p * s.m + i] = a[i * s.k + p];
        for (std::size_t p = 0; p < s.k; ++p)
            for (std::size_t j = 0; j < s.n; ++j) b_t[j * s.k + p] = b[p * s.n + j];
    }
    MatrixOperand a_op(Layout layout) const {
        return layout == Layout::ATransposed ? MatrixOperand{a_t.data(), 1, s.m}
                                             : MatrixOperand{a.data(), s.k, 1};
    }
    MatrixOperand b_op(Layout layout) const {
        return layout == Layout::BTransposed ? MatrixOperand{b_t.data(), 1, s.k}
                                             : MatrixOperand{b.data(), s.n, 1};
    }
    std::vector<float> product(Layout layout, float beta) const {
        std::vector<float> c = initial_c(s, beta);
        bf16_sgemm(Bf16GemmPath::Amx, s.m, s.n, s.k, a_op(layout), b_op(layout), beta, c.data(),
                   s.n);
        return c;
    }
};

// One row times one column on AMX: bf16(a) . bf16(b) from zero.
float amx_dot(const std::vector<float>& a, const std::vector<float>& b) {
    float c = std::nanf("");
    bf16_sgemm(Bf16GemmPath::Amx, 1, 1, a.size(), MatrixOperand{a.data(), a.size(), 1},
               MatrixOperand{b.data(), 1, 1}, 0.0f, &c, 1);
    return c;
}

TEST(GemmAmx, EveryLayoutGivesTheSameBits) {
    LRNN_NEEDS_AMX();
    for (const Shape& s : kShapes)
        for (const float beta : {0.0f, 1.0f, 0.5f}) {
            const SameValues v(s, 3 * s.m + 5 * s.n + s.k);
            const std::vector<float> plain = v.product(Layout::Plain, beta);
            for (const Layout layout : {Layout::ATransposed, Layout::BTransposed}) {
                const std::vector<float> other = v.product(layout, beta);
                for (std::size_t i = 0; i < plain.size(); ++i)
                    ASSERT_EQ(bits(other[i]), bits(plain[i]))
                        << describe(s, layout) << " beta " << beta << " element " << i;
            }
        }
}

// Close to the exact sums of the bf16-rounded operands: within 2^-20 of the sum of the terms'
// magnitudes (a float's rounding per kc-block and per merge, with room), and beta applied.
TEST(GemmAmx, SumsAreCloseToTheExactOnes) {
    LRNN_NEEDS_AMX();
    for_every_case([](const Problem& p, float beta) {
        const Shape& s = p.s;
        std::vector<float> c = initial_c(s, beta);
        const std::vector<float> before = c;
        bf16_sgemm(Bf16GemmPath::Amx, s.m, s.n, s.k, p.a_op(), p.b_op(), beta, c.data(), s.n);
        const auto r = [](float x) { return double(bf16_to_float(float_to_bf16_flushed(x))); };
        for (std::size_t i = 0; i < s.m; ++i)
            for (std::size_t j = 0; j < s.n; ++j) {
                double exact = beta == 0.0f ? 0.0 : double(beta) * before[i * s.n + j];
                double magnitude = std::abs(exact);
                for (std::size_t q = 0; q < s.k; ++q) {
                    const double term = r(element(p.a_op(), i, q)) * r(element(p.b_op(), q, j));
                    exact += term, magnitude += std::abs(term);
                }
                ASSERT_NEAR(c[i * s.n + j], exact, 0x1p-20 * magnitude + 1e-30)
                    << describe(s, p.layout) << " beta " << beta << " at " << i << ", " << j;
            }
    });
}

// Each row of a product is the product of that row alone (a step of generation: tiles of one
// row), and of that row among other row counts (tiles of fewer than 16 rows, a lower half,
// blocks of MC rows).
TEST(GemmAmx, ARowsBitsDoNotDependOnTheRowCount) {
    LRNN_NEEDS_AMX();
    const Shape whole{150, 70, 300};
    const SameValues v(whole, 21);
    for (const Layout layout : kLayouts) {
        const std::vector<float> all = v.product(layout, 0.0f);
        for (const std::size_t rows : {std::size_t(1), std::size_t(5), std::size_t(16),
                                       std::size_t(17), std::size_t(40)}) {
            // The first `rows` rows of a, in the same layout.
            const SameValues part({rows, whole.n, whole.k}, 21);
            SameValues cut = part;
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t p = 0; p < whole.k; ++p) {
                    cut.a[i * whole.k + p] = v.a[i * whole.k + p];
                    cut.a_t[p * rows + i] = v.a[i * whole.k + p];
                }
            cut.b = v.b, cut.b_t = v.b_t;
            const std::vector<float> some = cut.product(layout, 0.0f);
            for (std::size_t i = 0; i < some.size(); ++i)
                ASSERT_EQ(bits(some[i]), bits(all[i]))
                    << rows << " rows, layout " << int(layout) << ", element " << i;
        }
    }
}

TEST(GemmAmx, PrepackedBGivesTheBitsOfPackingItPerProduct) {
    LRNN_NEEDS_AMX();
    for_every_case([](const Problem& p, float beta) {
        const Shape& s = p.s;
        const Bf16PackedMatrix packed(Bf16GemmPath::Amx, s.k, s.n, p.b_op());
        std::vector<float> repacking = initial_c(s, beta);
        std::vector<float> prepacked = repacking;
        bf16_sgemm(Bf16GemmPath::Amx, s.m, s.n, s.k, p.a_op(), p.b_op(), beta, repacking.data(), s.n);
        bf16_sgemm_packed(s.m, p.a_op(), packed, beta, prepacked.data(), s.n);
        for (std::size_t i = 0; i < repacking.size(); ++i)
            ASSERT_EQ(bits(prepacked[i]), bits(repacking[i]))
                << describe(s, p.layout) << " beta " << beta << " element " << i;
    });
}

TEST(GemmAmx, SameBitsOnAnyThread) {
    LRNN_NEEDS_AMX();
    const Shape s{128, 160, 300};
    const Problem p = make_problem(s, Layout::ATransposed, 1);
    const auto product = [&p, &s](float* out) {
        bf16_sgemm(Bf16GemmPath::Amx, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, out, s.n);
    };
    std::vector<float> here(s.m * s.n);
    product(here.data());
    expect_the_same_on_other_threads(here, product, "amx");
}

// What tells the tiles' sums from vdpbf16ps's (measured on an Intel Xeon with AMX,
// docs/kernels.md): 1 from the first group, then 2^-24 + 2^-24 from the second: the tiles sum a
// group's products first and add that sum (2^-23) to the 1, giving 1 + 2^-23; vdpbf16ps adds
// each product to the running sum and rounds, giving 1. In the pairs after the last whole
// group, vdpbf16ps's rule gives 1. And a subnormal product is flushed.
TEST(GemmAmx, WholeGroupsAreTheTilesSumsTheRestVdpbf16ps) {
    LRNN_NEEDS_AMX();
    const float small = 0x1p-12f;
    std::vector<float> a(64, 0.0f), b(64, 0.0f);
    a[0] = b[0] = 1.0f, a[32] = b[32] = small, a[34] = b[34] = small;
    EXPECT_EQ(bits(amx_dot(a, b)), bits(1.0f + 0x1p-23f)) << "two whole groups";
    std::vector<float> a_tail(36, 0.0f), b_tail(36, 0.0f);
    a_tail[0] = b_tail[0] = 1.0f, a_tail[32] = b_tail[32] = small, a_tail[34] = b_tail[34] = small;
    EXPECT_EQ(bits(amx_dot(a_tail, b_tail)), bits(1.0f)) << "the pairs after the group";
    EXPECT_EQ(bits(amx_dot({0x1p-64f, 0.0f}, {0x1p-63f, 0.0f})), bits(0.0f)) << "a subnormal product";
}

// matmul<float> in Bf16Amx is the AMX product, one row included (a generation step); bf16 is
// not.
TEST(GemmAmx, MatmulInBf16AmxUsesTheAmxPath) {
    LRNN_NEEDS_AMX();
    for (const std::size_t rows : {std::size_t(1), std::size_t(37)}) {
        const Shape s{rows, 96, 80};
        const Problem p = make_problem(s, Layout::Plain, 8);
        std::vector<float> direct(s.m * s.n), via_matmul(s.m * s.n);
        bf16_sgemm(Bf16GemmPath::Amx, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, direct.data(), s.n);
        matmul(p.a.data(), p.b.data(), via_matmul.data(), s.m, s.k, s.n, 0.0f, Precision::Bf16Amx);
        EXPECT_EQ(via_matmul, direct) << rows << " rows";
    }
}

TEST(GemmAmx, ACpuWithoutAmxRefusesBf16AmxSayingWhy) {
    if (bf16_gemm_path_available(Bf16GemmPath::Amx)) {
        EXPECT_EQ(bf16_gemm_path_for(Precision::Bf16Amx), Bf16GemmPath::Amx);
        EXPECT_NE(bf16_gemm_path_for(Precision::Bf16), Bf16GemmPath::Amx) << "bf16 keeps its own sums";
        return;
    }
    try {
        (void)bf16_gemm_path_for(Precision::Bf16Amx);
        FAIL() << "no UserError";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("bf16_amx needs a CPU with AMX-BF16"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace lrnn
