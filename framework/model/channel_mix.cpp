// Channel mix (model-spec.md 4.3): a one-step token shift, then SwiGLU.

#include <algorithm>

#include "core/gemm.hpp"
#include "core/vector_clones.hpp"
#include "model/forward_product.hpp"
#include "model/layers.hpp"
#include "model/math.hpp"

namespace lrnn {

template <typename Real>
LRNN_VECTOR_CLONES
void channel_mix_forward(const LayerView<const Real*>& p, LayerCache<Real>& cache,
                         Workspace<Real>& ws, std::size_t T) {
    const ModelConfig& c = ws.config;
    const std::size_t d = c.n_embd, F = c.ffn_hidden();

    std::copy_n(ws.h.data(), T * d, cache.h_mid.data());
    Real* z = cache.z.data() + d;  // z[t * d] is z_t; row -1 is z_{-1} from the state
    layernorm_forward(cache.h_mid.data(), p.ln2_weight, p.ln2_bias, z, cache.ln2_mean.data(),
                      cache.ln2_rstd.data(), T, d);
    // a block of channels at a time, sigmoid(channel_mix) computed once (see kChannelBlock)
    for (std::size_t c0 = 0; c0 < d; c0 += kChannelBlock) {
        const std::size_t nc = std::min(kChannelBlock, d - c0);
        Real m[kChannelBlock];
        for (std::size_t j = 0; j < nc; ++j) m[j] = sigmoid(p.channel_mix[c0 + j]);
        for (std::size_t t = 0; t < T; ++t) {
            const Real* zt = z + t * d + c0;
            const Real* z1 = zt - d;  // z_{t-1}
            Real* xm = cache.xm.data() + t * d + c0;
            LRNN_IVDEP
            for (std::size_t j = 0; j < nc; ++j) xm[j] = zt[j] * m[j] + z1[j] * (Real(1) - m[j]);
        }
    }
    forward_product(ws, cache.xm.data(), p.ffn_gate, cache.gate_pre.data(), T, d, F);
    forward_product(ws, cache.xm.data(), p.ffn_up, cache.up.data(), T, d, F);
    for (std::size_t i = 0; i < T * F; ++i) {
        const Real g = cache.gate_pre[i];
        cache.act[i] = g * sigmoid(g) * cache.up[i];
    }
    forward_product(ws, cache.act.data(), p.ffn_down, ws.h.data(), T, F, d, Real(1));
}

template <typename Real>
LRNN_VECTOR_CLONES
void channel_mix_backward(const LayerView<const Real*>& p, const LayerCache<Real>& cache,
                          Workspace<Real>& ws, const LayerView<Real*>& grad, std::size_t T) {
    const ModelConfig& c = ws.config;
    const std::size_t d = c.n_embd, F = c.ffn_hidden();

    backward_weight_product(ws, cache.act.data(), ws.dh.data(), grad.ffn_down, T, F, d);
    backward_input_product(ws, ws.dh.data(), p.ffn_down, ws.dact.data(), T, F, d);
    for (std::size_t i = 0; i < T * F; ++i) {
        // act = silu(g) * up;  silu'(g) = sigmoid(g) (1 + g (1 - sigmoid(g)))
        const Real g = cache.gate_pre[i], sg = sigmoid(g);
        ws.dgate_pre[i] = ws.dact[i] * cache.up[i] * sg * (Real(1) + g * (Real(1) - sg));
        ws.dup[i] = ws.dact[i] * g * sg;
    }
    backward_weight_product(ws, cache.xm.data(), ws.dgate_pre.data(), grad.ffn_gate, T, d, F);
    backward_weight_product(ws, cache.xm.data(), ws.dup.data(), grad.ffn_up, T, d, F);
    backward_input_product(ws, ws.dgate_pre.data(), p.ffn_gate, ws.dxm.data(), T, d, F);
    backward_input_product(ws, ws.dup.data(), p.ffn_up, ws.dxm.data(), T, d, F, Real(1));

    // xm_t = z_t m + z_{t-1} (1 - m); row 0 of dz is the (discarded) history
    const Real* z = cache.z.data() + d;
    std::fill(ws.dz.begin(), ws.dz.begin() + (T + 1) * d, Real(0));
    Real* dz = ws.dz.data() + d;
    for (std::size_t c0 = 0; c0 < d; c0 += kChannelBlock) {
        const std::size_t nc = std::min(kChannelBlock, d - c0);
        Real m[kChannelBlock];
        for (std::size_t j = 0; j < nc; ++j) m[j] = sigmoid(p.channel_mix[c0 + j]);
        Real* gm = grad.channel_mix + c0;
        for (std::size_t t = 0; t < T; ++t) {
            const std::size_t row = t * d + c0;
            const Real* zt = z + row;
            const Real* z1 = zt - d;
            const Real* dxm = ws.dxm.data() + row;
            Real* dzt = dz + row;
            Real* dz1 = dzt - d;
            LRNN_IVDEP
            for (std::size_t j = 0; j < nc; ++j) {
                dzt[j] += dxm[j] * m[j];
                dz1[j] += dxm[j] * (Real(1) - m[j]);
                gm[j] += dxm[j] * (zt[j] - z1[j]) * m[j] * (Real(1) - m[j]);
            }
        }
    }
    layernorm_backward(dz, cache.h_mid.data(), cache.ln2_mean.data(), cache.ln2_rstd.data(),
                       p.ln2_weight, ws.dh.data(), grad.ln2_weight, grad.ln2_bias, T, d);
}

double layer_forward_matmul_flops(const ModelConfig& c, std::size_t T) {
    const std::size_t d = c.n_embd, r = c.decay_lora_rank, F = c.ffn_hidden(), S = c.n_mem_slots;
    return 4 * matmul_flops(T, d, d) + matmul_flops(T, d, r) + matmul_flops(T, r, d) +
           2 * matmul_flops(T, d, S) + 3 * matmul_flops(T, d, F);
}

template void channel_mix_forward(const LayerView<const float*>&, LayerCache<float>&,
                                  Workspace<float>&, std::size_t);
template void channel_mix_forward(const LayerView<const double*>&, LayerCache<double>&,
                                  Workspace<double>&, std::size_t);
template void channel_mix_backward(const LayerView<const float*>&, const LayerCache<float>&,
                                   Workspace<float>&, const LayerView<float*>&, std::size_t);
template void channel_mix_backward(const LayerView<const double*>&, const LayerCache<double>&,
                                   Workspace<double>&, const LayerView<double*>&, std::size_t);

}  // namespace lrnn
