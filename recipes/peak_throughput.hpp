#pragma once
// Throughput loops that measure what one core can do at most, for `lrnn bench` to divide by:
// fp32 FMAs on the widest vectors the CPU has, bf16 dot products (vdpbf16ps) where it has
// AVX512_BF16, and AMX's TDPBF16PS where it has AMX-BF16. Each vector loop runs 12 independent
// accumulator chains, enough to cover the FMA latency on every current x86 core, and the AMX
// loop 4 accumulator tiles, with nothing but the arithmetic in the loop.

#include <cstddef>
#include <string>
#include <vector>

namespace lrnn::recipes {

// What a loop's peak is for: the fp32 products, bf16 (vdpbf16ps) or bf16_amx (the tiles).
enum class PeakKind { Fp32, Bf16Dot, Amx };

struct PeakLoop {
    std::string name;         // "fp32_fma_avx512", "bf16_dot_avx512", "bf16_amx_tiles", ...
    PeakKind kind;
    double flops_per_iteration;
    // Runs `iterations` iterations; returns a value that depends on all of them (so that the
    // compiler keeps the work).
    float (*run)(std::size_t iterations);
};

// The loops this CPU can run, widest fp32 first.
std::vector<PeakLoop> peak_loops();

}  // namespace lrnn::recipes
