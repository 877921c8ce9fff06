#include "train/adamw.hpp"

#include <cassert>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/vector_clones.hpp"

namespace lrnn {

AdamW::AdamW(const ParameterLayout& layout, AdamWSettings settings) : settings_(settings) {
    state_.m.assign(layout.total_size(), 0.0f);
    state_.v.assign(layout.total_size(), 0.0f);
    decays_.assign(layout.total_size(), 0);
    for (const TensorSpec& t : layout.tensors())
        if (t.rows > 1 && t.cols > 1)
            std::fill_n(decays_.begin() + t.offset, t.size(), std::uint8_t(1));
}

namespace {

struct AdamWStep {
    float b1, b2, correction1, correction2, lr, lr_times_decay, eps, grad_scale;
};

// One block of the update, written so that it vectorises (restrict pointers, the decay as a
// select, and this file's -fno-math-errno -fno-trapping-math: framework/CMakeLists.txt): the
// same float operations in the same order per element as the plain loop, so every clone
// gives the same bits.
LRNN_VECTOR_CLONES
void update_block(float* __restrict params, float* __restrict m, float* __restrict v,
                  const float* __restrict grads, const std::uint8_t* __restrict decays, std::size_t n,
                  const AdamWStep& k) {
    const float b1 = k.b1, b2 = k.b2, one_minus_b1 = 1.0f - k.b1, one_minus_b2 = 1.0f - k.b2;
    const float correction1 = k.correction1, correction2 = k.correction2;
    const float lr = k.lr, lr_times_decay = k.lr_times_decay, eps = k.eps, grad_scale = k.grad_scale;
    for (std::size_t i = 0; i < n; ++i) {
        const float g = grads[i] * grad_scale;
        const float m_i = b1 * m[i] + one_minus_b1 * g;
        const float v_i = b2 * v[i] + one_minus_b2 * g * g;
        m[i] = m_i;
        v[i] = v_i;
        const float m_hat = m_i / correction1;
        const float v_hat = v_i / correction2;
        const float p = params[i];
        const float decayed = decays[i] ? p - lr_times_decay * p : p;
        params[i] = decayed - lr * m_hat / (std::sqrt(v_hat) + eps);
    }
}

}  // namespace

void AdamW::update(std::span<float> params, std::span<const float> grads, double lr,
                   float grad_scale) {
    assert(params.size() == state_.m.size() && grads.size() == params.size());
    state_.step += 1;
    const double b1 = settings_.beta1, b2 = settings_.beta2;
    AdamWStep k;
    k.b1 = float(b1);
    k.b2 = float(b2);
    k.correction1 = float(1.0 - std::pow(b1, double(state_.step)));
    k.correction2 = float(1.0 - std::pow(b2, double(state_.step)));
    k.lr = float(lr);
    k.lr_times_decay = k.lr * float(settings_.weight_decay);
    k.eps = float(settings_.eps);
    k.grad_scale = grad_scale;
    float* const p = params.data();
    float* const m = state_.m.data();
    float* const v = state_.v.data();
    const float* const g = grads.data();
    const std::uint8_t* const decays = decays_.data();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, params.size(), 1 << 14),
                      [&](const tbb::blocked_range<std::size_t>& r) {
                          const std::size_t i = r.begin();
                          update_block(p + i, m + i, v + i, g + i, decays + i, r.size(), k);
                      });
}

double gradient_norm(std::span<const float> grads) {
    constexpr std::size_t kBlock = 1 << 16;
    const std::size_t n_blocks = (grads.size() + kBlock - 1) / kBlock;
    std::vector<double> block_sums(n_blocks, 0.0);
    tbb::parallel_for(std::size_t(0), n_blocks, [&](std::size_t b) {
        const std::size_t end = std::min(grads.size(), (b + 1) * kBlock);
        double sum = 0;
        for (std::size_t i = b * kBlock; i < end; ++i) sum += double(grads[i]) * double(grads[i]);
        block_sums[b] = sum;
    });
    double total = 0;
    for (double s : block_sums) total += s;
    return std::sqrt(total);
}

}  // namespace lrnn
