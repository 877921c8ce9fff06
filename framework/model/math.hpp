#pragma once
// Elementwise primitives of model-spec.md section 3, and layer norm over rows.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "core/sum_in_lanes.hpp"
#include "core/vector_clones.hpp"
#include "core/vector_exp.hpp"

namespace lrnn {

constexpr double kEps = 1e-6;
constexpr double kClampExpLimit = 10.0;

// e^x. For float, the model's arithmetic, the inline vector_exp (core/vector_exp.hpp): loops
// around it vectorise, and its bits do not depend on the CPU. For double, the arithmetic of the
// gradient checks' reference, libm's exp.
template <typename Real>
inline Real exp_of(Real x) {
    if constexpr (std::is_same_v<Real, float>)
        return vector_exp(x);
    else
        return std::exp(x);
}

// `condition ? a : b` without a branch for float (a bit blend, see vector_exp.hpp: a branch
// here lets GCC thread the saturated cases apart and stops the vectoriser); for double, ?:.
template <typename Real>
inline Real select_of(bool condition, Real a, Real b) {
    if constexpr (std::is_same_v<Real, float>)
        return bit_select(condition, a, b);
    else
        return condition ? a : b;
}

template <typename Real>
inline Real sigmoid(Real x) {
    return Real(1) / (Real(1) + exp_of(-x));
}

// exp(clamp(x, -10, 10)); a NaN stays NaN.
template <typename Real>
inline Real clampexp(Real x) {
    const Real lo = Real(-kClampExpLimit), hi = Real(kClampExpLimit);
    return exp_of(select_of(x < lo, lo, select_of(x > hi, hi, x)));
}

// d clampexp(x) / dx given y = clampexp(x): y inside the clamp, 0 where it saturates.
template <typename Real>
inline Real clampexp_grad(Real x, Real y) {
    return select_of((x >= Real(-kClampExpLimit)) & (x <= Real(kClampExpLimit)), y, Real(0));
}

// Loops over (step, channel) whose coefficients depend on the channel alone (sigmoids of
// per-channel parameters) run over blocks of this many channels: the coefficients of a block
// are computed once into small arrays on the stack, then every step uses them. The arithmetic
// per element is the same as computing them inline, so results are bit-identical; it saves
// several exp() and divisions per element, which cost more than the products around them.
constexpr std::size_t kChannelBlock = 64;

// Put before an inner loop over channels that writes several arrays while reading others:
// promises the compiler that no iteration depends on another (the arrays are distinct rows or
// buffers), so that it vectorises the loop without run-time overlap checks; it gives up on
// loops that would need more of those checks than it is willing to emit.
#if defined(__clang__)
#define LRNN_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define LRNN_IVDEP _Pragma("GCC ivdep")
#else
#define LRNN_IVDEP
#endif

// y (n, d) = LN(x (n, d); w, b) over each row; keeps mean and rstd (n) for the backward pass.
// The sums over a row run in sum_in_lanes' fixed pattern: a single running sum would be added
// in sequence, one addition's latency per channel, for 4 of a layer's 6 passes over a row.
template <typename Real>
LRNN_VECTOR_CLONES
void layernorm_forward(const Real* x, const Real* w, const Real* b, Real* y, Real* mean,
                       Real* rstd, std::size_t n, std::size_t d) {
    for (std::size_t t = 0; t < n; ++t) {
        const Real* xt = x + t * d;
        const Real m = sum_in_lanes<Real>(d, [&](std::size_t c) { return xt[c]; }) / Real(d);
        const Real var =
            sum_in_lanes<Real>(d, [&](std::size_t c) { return (xt[c] - m) * (xt[c] - m); }) /
            Real(d);
        const Real s = Real(1) / std::sqrt(var + Real(kEps));
        Real* yt = y + t * d;
        for (std::size_t c = 0; c < d; ++c) yt[c] = w[c] * ((xt[c] - m) * s) + b[c];
        mean[t] = m;
        rstd[t] = s;
    }
}

// dx (n, d) += the gradient through LN of dy (n, d); dw, db (d) accumulate.
template <typename Real>
LRNN_VECTOR_CLONES
void layernorm_backward(const Real* dy, const Real* x, const Real* mean, const Real* rstd,
                        const Real* w, Real* dx, Real* dw, Real* db, std::size_t n,
                        std::size_t d) {
    for (std::size_t t = 0; t < n; ++t) {
        const Real* xt = x + t * d;
        const Real* dyt = dy + t * d;
        const Real m = mean[t], s = rstd[t];
        const auto xhat = [&](std::size_t c) { return (xt[c] - m) * s; };
        const auto dxhat = [&](std::size_t c) { return dyt[c] * w[c]; };
        // means over channels of dxhat and of dxhat * xhat (the two terms of the LN Jacobian)
        const Real mean_dxhat = sum_in_lanes<Real>(d, dxhat) / Real(d);
        const Real mean_dxhat_xhat =
            sum_in_lanes<Real>(d, [&](std::size_t c) { return dxhat(c) * xhat(c); }) / Real(d);
        Real* dxt = dx + t * d;
        LRNN_IVDEP
        for (std::size_t c = 0; c < d; ++c) {
            dw[c] += dyt[c] * xhat(c);
            db[c] += dyt[c];
            dxt[c] += s * (dxhat(c) - mean_dxhat - xhat(c) * mean_dxhat_xhat);
        }
    }
}

// Row-wise softmax of x (n, k) in place.
template <typename Real>
LRNN_VECTOR_CLONES
void softmax_rows(Real* x, std::size_t n, std::size_t k) {
    for (std::size_t t = 0; t < n; ++t) {
        Real* row = x + t * k;
        const Real top = *std::max_element(row, row + k);
        Real sum = 0;
        for (std::size_t j = 0; j < k; ++j) sum += (row[j] = exp_of(row[j] - top));
        for (std::size_t j = 0; j < k; ++j) row[j] /= sum;
    }
}

// Gradient through a row-wise softmax: dx = p * (dp - sum(p * dp)), p (n, k) the output.
template <typename Real>
LRNN_VECTOR_CLONES
void softmax_rows_backward(const Real* p, const Real* dp, Real* dx, std::size_t n, std::size_t k) {
    for (std::size_t t = 0; t < n; ++t) {
        Real dot = 0;
        for (std::size_t j = 0; j < k; ++j) dot += p[t * k + j] * dp[t * k + j];
        for (std::size_t j = 0; j < k; ++j) dx[t * k + j] = p[t * k + j] * (dp[t * k + j] - dot);
    }
}

}  // namespace lrnn
