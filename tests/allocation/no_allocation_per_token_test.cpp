// "No heap allocation per token" (docs/recipes-generate.md), checked: this test binary replaces
// the global operator new with one that counts, then generates tokens and expects the count not
// to move. It is a separate executable so that the counting allocator stays out of the main
// test binary.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/rng.hpp"
#include "generate/bench_shapes.hpp"
#include "generate/generator.hpp"
#include "generate/sampler.hpp"

namespace {
std::atomic<long> g_allocations{0};  // test-only instrumentation: operator new has no other home
}  // namespace

void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace lrnn {
namespace {

struct Case {
    const char* shape;
    WeightPrecision weights;
    SamplingOptions sampling;
    Precision precision = Precision::Fp32;
};

// Allocations while generating `tokens` tokens, after a warm-up (the first products may set up
// the BLAS's per-thread buffers once).
long allocations_while_generating(const Case& c, int tokens) {
    const LoadedModel model = benchmark_model(c.shape);
    Generator generator(model.params, default_prompt_chunk(model.params.config()), c.weights, c.precision);
    Sampler sampler(model.params.config().vocab_size, c.sampling);
    Rng rng(1);
    const std::vector<TokenId> prompt{0, 1, 2, 3};
    generator.feed(prompt);
    TokenId sink = 0;
    generate_tokens(generator, sampler, rng, 8, [&](TokenId id) { sink ^= id; });
    const long before = g_allocations.load();
    generate_tokens(generator, sampler, rng, tokens, [&](TokenId id) { sink ^= id; });
    const long after = g_allocations.load();
    EXPECT_EQ(generator.position(), prompt.size() + 8 + std::size_t(tokens)) << sink;
    return after - before;
}

TEST(NoAllocationPerToken, GreedyTopKAndTopPInBothWeightPrecisions) {
    // The counter itself works: a vector allocates.
    const long before = g_allocations.load();
    std::vector<int> v(10);
    EXPECT_GT(g_allocations.load(), before) << v.size();

    for (const WeightPrecision weights : {WeightPrecision::Float32, WeightPrecision::Bf16}) {
        for (const SamplingOptions& sampling : {SamplingOptions{0.0, 0, 1.0}, SamplingOptions{0.8, 5, 1.0},
                                                SamplingOptions{0.8, 0, 0.95}}) {
            const Case c{"small", weights, sampling};
            EXPECT_EQ(allocations_while_generating(c, 300), 0)
                << weight_precision_name(weights) << " temperature " << sampling.temperature << " top_k "
                << sampling.top_k << " top_p " << sampling.top_p;
        }
    }
}

// A generator whose products are bf16 (its weights packed once, core/gemm_narrow.hpp's loops
// on frame scratch) on this CPU's bf16 path.
TEST(NoAllocationPerToken, Bf16Products) {
    for (const char* shape : {"small", "medium"}) {
        const Case c{shape, WeightPrecision::Float32, SamplingOptions{0.8, 0, 0.95}, Precision::Bf16};
        EXPECT_EQ(allocations_while_generating(c, 300), 0) << shape;
    }
}

}  // namespace
}  // namespace lrnn
