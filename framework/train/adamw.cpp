#include "train/adamw.hpp"

#include <cassert>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace lrnn {

AdamW::AdamW(const ParameterLayout& layout, AdamWSettings settings) : settings_(settings) {
    state_.m.assign(layout.total_size(), 0.0f);
    state_.v.assign(layout.total_size(), 0.0f);
    decays_.assign(layout.total_size(), 0);
    for (const TensorSpec& t : layout.tensors())
        if (t.rows > 1 && t.cols > 1)
            std::fill_n(decays_.begin() + t.offset, t.size(), std::uint8_t(1));
}

void AdamW::update(std::span<float> params, std::span<const float> grads, double lr,
                   float grad_scale) {
    assert(params.size() == state_.m.size() && grads.size() == params.size());
    state_.step += 1;
    const double b1 = settings_.beta1, b2 = settings_.beta2;
    const float correction1 = float(1.0 - std::pow(b1, double(state_.step)));
    const float correction2 = float(1.0 - std::pow(b2, double(state_.step)));
    const float lr_f = float(lr), eps = float(settings_.eps), wd = float(settings_.weight_decay);
    const float b1f = float(b1), b2f = float(b2);
    float* m = state_.m.data();
    float* v = state_.v.data();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, params.size(), 1 << 14),
                      [&](const tbb::blocked_range<std::size_t>& range) {
        for (std::size_t i = range.begin(); i < range.end(); ++i) {
            const float g = grads[i] * grad_scale;
            m[i] = b1f * m[i] + (1.0f - b1f) * g;
            v[i] = b2f * v[i] + (1.0f - b2f) * g * g;
            const float m_hat = m[i] / correction1;
            const float v_hat = v[i] / correction2;
            float p = params[i];
            if (decays_[i]) p -= lr_f * wd * p;
            params[i] = p - lr_f * m_hat / (std::sqrt(v_hat) + eps);
        }
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
