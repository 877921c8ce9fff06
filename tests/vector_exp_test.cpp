// vector_exp (core/vector_exp.hpp): within one unit in the last place of e^x over the whole
// float range, the IEEE answers at the edges, and the same bits whether a loop around it runs
// as AVX-512, AVX2, SSE2 vectors or one element at a time.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/vector_exp.hpp"

namespace lrnn {
namespace {

// The same loop, compiled for each vector width (GCC and Clang both take these attributes).
#if defined(__x86_64__)
__attribute__((target("avx512f"))) void exp_avx512(const std::vector<float>& x, std::vector<float>& y) {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = vector_exp(x[i]);
}
__attribute__((target("avx2"))) void exp_avx2(const std::vector<float>& x, std::vector<float>& y) {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = vector_exp(x[i]);
}
#endif
void exp_baseline(const std::vector<float>& x, std::vector<float>& y) {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = vector_exp(x[i]);
}
// One element at a time: the call is opaque to the vectoriser.
[[gnu::noinline]] float exp_one(float x) { return vector_exp(x); }
void exp_scalar(const std::vector<float>& x, std::vector<float>& y) {
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = exp_one(x[i]);
}

// Every 101st float whose e^x is neither 0 nor inf once rounded (about 9 M of them).
std::vector<float> sweep() {
    std::vector<float> xs;
    for (std::uint64_t bits = 0; bits < (std::uint64_t(1) << 32); bits += 101) {
        const float x = std::bit_cast<float>(std::uint32_t(bits));
        if (x > -104.0f && x < 88.8f) xs.push_back(x);
    }
    return xs;
}

// |got - e^x| in units of the last place of the float nearest e^x (the least subnormal's
// spacing below FLT_MIN); e^x from double arithmetic, far more accurate than a float's unit.
double ulps_off(float got, float x) {
    const double exact = std::exp(double(x));
    const float nearest = float(exact);
    if (std::isinf(nearest)) return std::isinf(got) ? 0.0 : 1e30;
    const double unit = exact < double(std::numeric_limits<float>::min())
                            ? double(std::numeric_limits<float>::denorm_min())
                            : double(std::nextafter(nearest, INFINITY)) - double(nearest);
    return std::abs(double(got) - exact) / unit;
}

TEST(VectorExp, WithinOneUnitInTheLastPlace) {
    const std::vector<float> xs = sweep();
    ASSERT_GT(xs.size(), 5'000'000u);
    std::vector<float> y(xs.size());
    exp_baseline(xs, y);
    double worst = 0;
    float worst_x = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        const double off = ulps_off(y[i], xs[i]);
        if (off > worst) worst = off, worst_x = xs[i];
    }
    EXPECT_LT(worst, 1.0) << "at x = " << worst_x;
}

TEST(VectorExp, EdgesAreIeee) {
    const float inf = std::numeric_limits<float>::infinity();
    EXPECT_EQ(vector_exp(0.0f), 1.0f);
    EXPECT_EQ(vector_exp(-0.0f), 1.0f);
    EXPECT_EQ(vector_exp(inf), inf);
    EXPECT_EQ(vector_exp(-inf), 0.0f);
    EXPECT_TRUE(std::isnan(vector_exp(std::numeric_limits<float>::quiet_NaN())));
    EXPECT_EQ(vector_exp(88.8f), inf);          // above ln(FLT_MAX) = 88.7228
    EXPECT_EQ(vector_exp(1000.0f), inf);
    EXPECT_TRUE(std::isfinite(vector_exp(88.72f)));
    EXPECT_GT(vector_exp(88.72f), 3.39e38f);
    EXPECT_EQ(vector_exp(-104.0f), 0.0f);       // below half the least subnormal
    EXPECT_EQ(vector_exp(-1000.0f), 0.0f);
    EXPECT_EQ(vector_exp(-103.9f), std::numeric_limits<float>::denorm_min());  // rounds up to it
    EXPECT_GT(vector_exp(-87.5f), 0.0f);        // subnormal results are kept, not flushed
    EXPECT_LT(vector_exp(-87.5f), std::numeric_limits<float>::min());
}

TEST(VectorExp, EveryVectorWidthGivesTheSameBits) {
    std::vector<float> xs = sweep();
    for (float x : {0.0f, -0.0f, 88.8f, -104.0f, 1e30f, -1e30f, std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()})
        xs.push_back(x);
    std::vector<float> scalar(xs.size()), vector(xs.size());
    exp_scalar(xs, scalar);
    const auto same_bits = [&](const char* width) {
        std::size_t differ = 0;
        for (std::size_t i = 0; i < xs.size(); ++i)
            differ += std::bit_cast<std::uint32_t>(vector[i]) != std::bit_cast<std::uint32_t>(scalar[i]);
        EXPECT_EQ(differ, 0u) << width;
    };
    exp_baseline(xs, vector);
    same_bits("baseline");
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        exp_avx2(xs, vector);
        same_bits("avx2");
    }
    if (__builtin_cpu_supports("avx512f")) {
        exp_avx512(xs, vector);
        same_bits("avx512f");
    }
#endif
}

}  // namespace
}  // namespace lrnn
