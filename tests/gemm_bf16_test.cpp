// The bf16 product of train.precision: bf16 (core/gemm_bf16.hpp). What vdpbf16ps computes was
// found on the CPU itself (AMD Zen 5; the same as Intel documents, docs/kernels.md): crafted
// sums that tell the candidate orders apart pin it, on every path this CPU can run. Then both
// paths against a scalar model of that arithmetic, bit for bit, on shapes with tails in every
// dimension, the three operand layouts and beta 0, 1 and 0.5; and the emulated path against
// the hardware one on random data, tiny magnitudes included (where flush-to-zero matters).
// And b packed once (Bf16PackedMatrix) against packing it per product. The hardware half is
// skipped, saying so, on a CPU without AVX512_BF16.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/bf16.hpp"
#include "core/cpu_features.hpp"
#include "core/gemm.hpp"
#include "core/gemm_bf16.hpp"
#include "core/gemm_micro_kernels.hpp"
#include "core/rng.hpp"
#include "gemm_test_util.hpp"

namespace lrnn {
namespace {

using namespace gemm_test;

std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }

// One row times one column: c = bf16(a) . bf16(b) on `path`, from zero.
float dot(Bf16GemmPath path, const std::vector<float>& a, const std::vector<float>& b) {
    float c = std::nanf("");
    bf16_sgemm(path, 1, 1, a.size(), MatrixOperand{a.data(), a.size(), 1},
               MatrixOperand{b.data(), 1, 1}, 0.0f, &c, 1);
    return c;
}

TEST(GemmBf16, RoundingFlushesSubnormalsAndRoundsToNearestEven) {
    EXPECT_EQ(float_to_bf16_flushed(1.0f), 0x3f80);
    EXPECT_EQ(float_to_bf16_flushed(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie: even
    EXPECT_EQ(float_to_bf16_flushed(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie: even
    EXPECT_EQ(float_to_bf16_flushed(std::bit_cast<float>(0x3f808001u)), 0x3f81);
    EXPECT_EQ(float_to_bf16_flushed(1e-40f), 0x0000);   // float32 subnormal: zero
    EXPECT_EQ(float_to_bf16_flushed(-1e-40f), 0x8000);  // of its sign
    // The largest float32 subnormal would round up to the smallest normal: flushed first.
    EXPECT_EQ(float_to_bf16_flushed(std::bit_cast<float>(0x007fffffu)), 0x0000);
    EXPECT_EQ(float_to_bf16_flushed(std::numeric_limits<float>::min()), 0x0080);
}

// The packers' own (vectorized) roundings, on every path and operand position, are
// float_to_bf16_flushed: each value x is multiplied by 1 once (0 + 0 * 0, then + bf16(x) * 1:
// exact), so the product shows bf16(x) itself. Random bit patterns (every exponent, subnormals
// included) and the edge cases; NaNs only have to stay NaN.
TEST(GemmBf16, PackingRoundsEveryOperandLikeFloatToBf16Flushed) {
    std::vector<float> x;
    Rng rng(17);
    for (int i = 0; i < 20000; ++i) x.push_back(std::bit_cast<float>(std::uint32_t(rng.next_u64())));
    for (const std::uint32_t b : {0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu, 0x007fffffu, 0x00800000u,
                                  0x3f808000u, 0x3f818000u, 0x7f7fffffu, 0xff7fffffu, 0x7f800000u, 0xff800000u,
                                  0x7fc00001u, 0xffa00000u})
        x.push_back(std::bit_cast<float>(b));
    const std::size_t n = x.size();
    const auto expected = [](float v) { return 0.0f + bf16_to_float(float_to_bf16_flushed(v)); };
    // The operands around x: a 2-long dot product (x, 0) . (1, 0).
    std::vector<float> pair_x(2 * n), pair_x_t(2 * n), ones{1.0f, 0.0f};
    for (std::size_t i = 0; i < n; ++i) pair_x[2 * i] = x[i], pair_x[2 * i + 1] = 0.0f;  // (n, 2)
    for (std::size_t i = 0; i < n; ++i) pair_x_t[i] = x[i], pair_x_t[n + i] = 0.0f;      // (2, n)
    for (const Bf16GemmPath path : available_bf16_gemm_paths()) {
        struct Case {
            const char* what;
            std::size_t m, n;
            MatrixOperand a, b;
        };
        const Case cases[] = {
            {"a rows", n, 1, {pair_x.data(), 2, 1}, {ones.data(), 1, 1}},
            {"a transposed", n, 1, {pair_x_t.data(), 1, n}, {ones.data(), 1, 1}},
            {"b rows", 1, n, {ones.data(), 2, 1}, {pair_x_t.data(), n, 1}},
            {"b transposed", 1, n, {ones.data(), 2, 1}, {pair_x.data(), 1, 2}},
        };
        for (const Case& c : cases) {
            std::vector<float> out(n);
            bf16_sgemm(path, c.m, c.n, 2, c.a, c.b, 0.0f, out.data(), c.n);
            for (std::size_t i = 0; i < n; ++i) {
                if (std::isnan(x[i])) {
                    EXPECT_TRUE(std::isnan(out[i])) << bf16_gemm_path_name(path) << " " << c.what;
                    continue;
                }
                ASSERT_EQ(bits(out[i]), bits(expected(x[i])))
                    << bf16_gemm_path_name(path) << " " << c.what << ": x = " << x[i] << " (0x" << std::hex
                    << bits(x[i]) << ")";
            }
        }
    }
}

// Each crafted sum has one answer per candidate arithmetic; the comments say which is which.
// k = 4 is two pairs: (a0 b0, a1 b1), then (a2 b2, a3 b3).
TEST(GemmBf16, PairsAddTheOddProductFirstEachAdditionRoundedAndFlushed) {
    const auto x = [](double v) { return float(v); };
    for (const Bf16GemmPath path : available_bf16_gemm_paths()) {
        SCOPED_TRACE(bf16_gemm_path_name(path));
        // 1, then -1 (odd) and 2^-30 (even): odd first gives 2^-30; even first 0 (1 + 2^-30
        // rounds to 1); one rounding of the pair's sum, added to 1, also 0.
        EXPECT_EQ(bits(dot(path, {1, 0, x(0x1p-15), -1}, {1, 0, x(0x1p-15), 1})),
                  bits(x(0x1p-30)));
        // The same with the two swapped: odd first gives 0.
        EXPECT_EQ(bits(dot(path, {1, 0, -1, x(0x1p-15)}, {1, 0, 1, x(0x1p-15)})), bits(0.0f));
        // 1 + 2^-24 + 2^-24: two roundings (ties to even) give 1; one exact sum 1 + 2^-23.
        EXPECT_EQ(bits(dot(path, {1, 0, x(0x1p-12), x(0x1p-12)}, {1, 0, x(0x1p-12), x(0x1p-12)})),
                  bits(1.0f));
        // 2^-126, then -2^-127 (odd) makes a subnormal that is flushed before +2^-127 (even)
        // is added: 0 (2^-126 without the flush of the partial sum).
        EXPECT_EQ(bits(dot(path, {x(0x1p-63), 0, x(0x1p-64), x(-0x1p-64)},
                           {x(0x1p-63), 0, x(0x1p-63), x(0x1p-63)})),
                  bits(0.0f));
        // A subnormal product alone: flushed.
        EXPECT_EQ(bits(dot(path, {x(0x1p-64), 0}, {x(0x1p-63), 0})), bits(0.0f));
        // A float32 subnormal input counts as zero: 1 + 0 * 1e38.
        EXPECT_EQ(bits(dot(path, {1, 1e-40f}, {1, 1e38f})), bits(1.0f));
        // An odd k ends in half a pair: (a4 b4, zero).
        EXPECT_EQ(bits(dot(path, {1, 2, 3, 4, 5}, {1, 1, 1, 1, 1})), bits(15.0f));
    }
}

// The scalar model of the arithmetic: per kc-block of 256 (the blocking of core/gemm_bf16.cpp),
// from zero, pair by pair: odd term, then even term, each a fused multiply-add (the products
// of two bf16 are exact in float) with a subnormal result flushed to zero; then merged into c.
float flush(float v) { return std::abs(v) < std::numeric_limits<float>::min() ? std::copysign(0.0f, v) : v; }

float round16(float v) { return bf16_to_float(float_to_bf16_flushed(v)); }

float model_element(const Problem& p, std::size_t i, std::size_t j, float c0, float beta) {
    const MatrixOperand a = p.a_op(), b = p.b_op();
    float c = c0;
    for (std::size_t pc = 0; pc < p.s.k || (pc == 0 && p.s.k == 0); pc += 256) {
        const float block_beta = pc == 0 ? beta : 1.0f;
        if (p.s.k == 0) return beta == 0.0f ? 0.0f : beta * c;
        const std::size_t end = std::min(p.s.k, pc + 256);
        float acc = 0.0f;
        for (std::size_t q = pc; q < end; q += 2) {
            const float a1 = q + 1 < end ? round16(element(a, i, q + 1)) : 0.0f;
            const float b1 = q + 1 < end ? round16(element(b, q + 1, j)) : 0.0f;
            acc = flush(std::fma(a1, b1, acc));
            acc = flush(std::fma(round16(element(a, i, q)), round16(element(b, q, j)), acc));
        }
        c = block_beta == 0.0f ? acc : block_beta == 1.0f ? c + acc : block_beta * c + acc;
    }
    return c;
}

// c against the scalar model, bit for bit.
void expect_the_scalar_model(const Problem& p, float beta, const std::vector<float>& c0,
                             const std::vector<float>& c, const std::string& what) {
    const Shape& s = p.s;
    for (std::size_t i = 0; i < s.m; ++i)
        for (std::size_t j = 0; j < s.n; ++j)
            ASSERT_EQ(bits(c[i * s.n + j]), bits(model_element(p, i, j, c0[i * s.n + j], beta)))
                << what << " " << describe(s, p.layout) << " beta " << beta << " at (" << i << ", "
                << j << ")";
}

TEST(GemmBf16, EveryPathIsTheScalarModelBitForBit) {
    if (!bf16_gemm_path_available(Bf16GemmPath::Avx512Bf16))
        std::cout << "[ SKIPPED  ] the vdpbf16ps half: this CPU (" << describe(cpu_features())
                  << ") has no AVX512_BF16\n";
    ASSERT_FALSE(available_bf16_gemm_paths().empty()) << "no bf16 path on " << describe(cpu_features());
    for (const Bf16GemmPath path : available_bf16_gemm_paths())
        for_every_case([path](const Problem& p, float beta) {
            std::vector<float> c = initial_c(p.s, beta);
            const std::vector<float> c0 = c;
            bf16_sgemm(path, p.s.m, p.s.n, p.s.k, p.a_op(), p.b_op(), beta, c.data(), p.s.n);
            expect_the_scalar_model(p, beta, c0, c, bf16_gemm_path_name(path));
        });
}

// The emulation's other tile (6 x 16 AVX2, what a CPU without AVX-512 runs) gives the same bits.
TEST(GemmBf16, EmulationOnTheAvx2TileIsTheScalarModelToo) {
    if (!cpu_features().avx2_fma) GTEST_SKIP() << "this CPU has no AVX2/FMA3";
    for_every_case([](const Problem& p, float beta) {
        std::vector<float> c = initial_c(p.s, beta);
        const std::vector<float> c0 = c;
        bf16_sgemm_emulated_on(avx2_micro_kernel(), p.s.m, p.s.n, p.s.k, p.a_op(), p.b_op(), beta,
                               c.data(), p.s.n);
        expect_the_scalar_model(p, beta, c0, c, "emulated on the AVX2 tile");
    });
}

// b packed once (what a bf16 generator does with its weights) gives the bits of packing it in
// every product, on every path, one-row products (generation steps) included.
TEST(GemmBf16, PrepackedBGivesTheBitsOfPackingItPerProduct) {
    if (!bf16_gemm_path_available(Bf16GemmPath::Avx512Bf16))
        std::cout << "[ SKIPPED  ] the vdpbf16ps half: this CPU (" << describe(cpu_features())
                  << ") has no AVX512_BF16\n";
    for (const Bf16GemmPath path : available_bf16_gemm_paths())
        for_every_case([path](const Problem& p, float beta) {
            const Shape& s = p.s;
            const Bf16PackedMatrix packed(path, s.k, s.n, p.b_op());
            EXPECT_EQ(packed.path(), path);
            EXPECT_EQ(packed.rows(), s.k);
            EXPECT_EQ(packed.cols(), s.n);
            std::vector<float> repacking = initial_c(s, beta);
            std::vector<float> prepacked = repacking;
            bf16_sgemm(path, s.m, s.n, s.k, p.a_op(), p.b_op(), beta, repacking.data(), s.n);
            bf16_sgemm_packed(s.m, p.a_op(), packed, beta, prepacked.data(), s.n);
            for (std::size_t i = 0; i < repacking.size(); ++i)
                ASSERT_EQ(bits(prepacked[i]), bits(repacking[i]))
                    << bf16_gemm_path_name(path) << " " << describe(s, p.layout) << " beta "
                    << beta << " element " << i;
        });
}

// Values near the bottom of float's range (products that underflow, partial sums that become
// subnormal) and ordinary ones: the emulation must flush exactly where vdpbf16ps does.
TEST(GemmBf16, EmulationEqualsVdpbf16psBitForBit) {
    if (!bf16_gemm_path_available(Bf16GemmPath::Avx512Bf16))
        GTEST_SKIP() << "this CPU (" << describe(cpu_features()) << ") has no AVX512_BF16";
    for (const double scale : {1.0, 0x1p-60, 0x1p-64, 1e30})
        for (const Shape& s : kShapes)
            for (const Layout layout : kLayouts) {
                const Problem p = make_problem(s, layout, s.m + 11 * s.k + 13 * s.n, scale);
                std::vector<float> hw(s.m * s.n), emulated(s.m * s.n);
                bf16_sgemm(Bf16GemmPath::Avx512Bf16, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f,
                           hw.data(), s.n);
                bf16_sgemm(Bf16GemmPath::Emulated, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f,
                           emulated.data(), s.n);
                for (std::size_t i = 0; i < hw.size(); ++i)
                    ASSERT_EQ(bits(hw[i]), bits(emulated[i]))
                        << "scale " << scale << " " << describe(s, layout) << " element " << i;
            }
}

TEST(GemmBf16, SameBitsOnAnyThread) {
    const Shape s{128, 160, 300};
    const Problem p = make_problem(s, Layout::BTransposed, 1);
    for (const Bf16GemmPath path : available_bf16_gemm_paths()) {
        const auto product = [&p, &s, path](float* out) {
            bf16_sgemm(path, s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, out, s.n);
        };
        std::vector<float> here(s.m * s.n);
        product(here.data());
        expect_the_same_on_other_threads(here, product, bf16_gemm_path_name(path));
    }
}

// matmul<float> in Bf16 is the best bf16 path's product, one row included (a generation step).
TEST(GemmBf16, MatmulInBf16UsesTheBestPathForOneRowToo) {
    for (const std::size_t rows : {std::size_t(1), std::size_t(37)}) {
        const Shape s{rows, 96, 80};
        const Problem p = make_problem(s, Layout::Plain, 8);
        std::vector<float> direct(s.m * s.n), via_matmul(s.m * s.n);
        bf16_sgemm(best_bf16_gemm_path(), s.m, s.n, s.k, p.a_op(), p.b_op(), 0.0f, direct.data(), s.n);
        matmul(p.a.data(), p.b.data(), via_matmul.data(), s.m, s.k, s.n, 0.0f, Precision::Bf16);
        EXPECT_EQ(via_matmul, direct) << rows << " rows";
    }
}

}  // namespace
}  // namespace lrnn

namespace lrnn {
namespace {

// The branch-free rounding the packers and the narrow products vectorise is the scalar one,
// on every 7th float (613 M of them) and the edges.
TEST(Bf16Rounding, BranchFreeBitsAreFloatToBf16Flushed) {
    std::size_t differ = 0;
    for (std::uint64_t bits = 0; bits < (std::uint64_t(1) << 32); bits += 7) {
        const float x = std::bit_cast<float>(std::uint32_t(bits));
        differ += bf16_bits_flushed(x) != float_to_bf16_flushed(x);
    }
    for (const std::uint32_t edge : {0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu, 0x7f800000u,
                                     0xff800000u, 0x7f800001u, 0x7fc00000u, 0xffffffffu, 0x7f7fffffu,
                                     0x3f808000u, 0x3f818000u})
        differ += bf16_bits_flushed(std::bit_cast<float>(edge)) != float_to_bf16_flushed(std::bit_cast<float>(edge));
    EXPECT_EQ(differ, 0u);
}

}  // namespace
}  // namespace lrnn
