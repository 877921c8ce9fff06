#pragma once
// A sum in a fixed order that vectorises: used wherever a float sum over a row of values would
// otherwise run at one addition's latency per value (layer norms, the gate gradients, the
// narrow products' dot products).

#include <cstddef>

namespace lrnn {

inline constexpr std::size_t kSumLanes = 16;

// The kSumLanes partial sums lane[] added pairwise, 8, 4, 2, 1: sum_in_lanes' last step, for
// loops that keep their own lanes (core/gemm_narrow.cpp's dot products).
template <typename Real>
[[gnu::always_inline]] inline Real lanes_total(Real* lane) {
    for (std::size_t width = kSumLanes / 2; width > 0; width /= 2)
        for (std::size_t j = 0; j < width; ++j) lane[j] += lane[j + width];
    return lane[0];
}

// sum over i < n of term(i), with sixteen partial sums in a fixed pattern (lane i % 16) added
// up in a fixed order at the end: the compiler can vectorise it (a single running sum must be
// added in sequence, at the latency of one addition per element), and the result depends on
// n alone, never on threads, timing or the CPU. Sixteen floats fill one AVX-512 register (with
// eight, GCC vectorises across blocks instead and shuffles, at half the speed; measured).
//
// Inlined into its caller (an LRNN_VECTOR_CLONES function, compiled once per vector width):
// a clone of its own would be a call through the ifunc per row, and on rows of 128 values
// the call and the lanes' final additions cost as much as the sum.
template <typename Real, typename Term>
[[gnu::always_inline]] inline Real sum_in_lanes(std::size_t n, Term term) {
    constexpr std::size_t kLanes = kSumLanes;
    Real lane[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (std::size_t j = 0; j < kLanes; ++j) lane[j] += term(i + j);
    for (std::size_t j = 0; i < n; ++i, ++j) lane[j] += term(i);
    return lanes_total(lane);
}

}  // namespace lrnn
