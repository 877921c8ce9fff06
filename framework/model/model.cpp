#include "model/model.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/gemm.hpp"
#include "core/vector_clones.hpp"
#include "model/forward_product.hpp"
#include "model/layers.hpp"
#include "model/math.hpp"

namespace lrnn {

template <typename Real>
LRNN_VECTOR_CLONES
void model_forward(const ModelView<const Real*>& p, std::span<const TokenId> tokens,
                   Workspace<Real>& ws, RecurrentState<Real>* state) {
    const ModelConfig& c = ws.config;
    const std::size_t T = tokens.size(), d = c.n_embd, S = c.n_mem_slots, V = c.vocab_size;
    assert(T >= 1 && T <= ws.max_steps);
    ws.steps = T;

    // 4.1 embedding
    for (std::size_t t = 0; t < T; ++t) {
        const TokenId id = tokens[t];
        assert(id >= 0 && std::size_t(id) < V);
        std::copy_n(p.emb + std::size_t(id) * d, d, ws.embedded.data() + t * d);
    }
    layernorm_forward(ws.embedded.data(), p.ln0_weight, p.ln0_bias, ws.h.data(),
                      ws.ln0_mean.data(), ws.ln0_rstd.data(), T, d);

    for (int l = 0; l < c.n_layer; ++l) {
        LayerCache<Real>& cache = ws.layers[l];
        // The recurrent state enters through the history rows of the cache.
        if (state) {
            std::copy_n(state->u_history(l), 4 * d, cache.u.data());
            std::copy_n(state->z_previous(l), d, cache.z.data());
            std::copy_n(state->numerator(l), S * d, cache.num_state.data());
            std::copy_n(state->denominator(l), S * d, cache.den_state.data());
        } else {
            std::fill_n(cache.u.data(), 4 * d, Real(0));
            std::fill_n(cache.z.data(), d, Real(0));
            std::fill_n(cache.num_state.data(), S * d, Real(0));
            std::fill_n(cache.den_state.data(), S * d, Real(0));
        }
        time_mix_forward(p.layers[l], cache, ws, T);
        channel_mix_forward(p.layers[l], cache, ws, T);
        if (state) {
            // The last four u rows (the history rows shift in when T < 4), the last z, N_T, D_T.
            std::copy_n(cache.u.data() + T * d, 4 * d, state->u_history(l));
            std::copy_n(cache.z.data() + T * d, d, state->z_previous(l));
            const std::size_t last = scan_final_slot(T) * S * d;
            std::copy_n(cache.num_state.data() + last, S * d, state->numerator(l));
            std::copy_n(cache.den_state.data() + last, S * d, state->denominator(l));
        }
    }

    // 4.4 output
    layernorm_forward(ws.h.data(), p.ln_out_weight, p.ln_out_bias, ws.ln_out.data(),
                      ws.ln_out_mean.data(), ws.ln_out_rstd.data(), T, d);
    forward_product(ws, ws.ln_out.data(), p.head, ws.logits.data(), T, d, V);
}

template <typename Real>
LRNN_VECTOR_CLONES
LossSums model_loss(Workspace<Real>& ws, std::span<const TokenId> targets, double label_smoothing,
                    double grad_scale) {
    const std::size_t T = ws.steps, V = ws.config.vocab_size;
    assert(targets.size() == T);
    const double eps = label_smoothing;
    LossSums sums;
    sums.count = T;
    for (std::size_t t = 0; t < T; ++t) {
        const Real* logits = ws.logits.data() + t * V;
        Real* dlogits = ws.dlogits.data() + t * V;
        const Real top = *std::max_element(logits, logits + V);
        // exp(logit - top) once per logit, kept in dlogits until the sum is known
        double sum_exp = 0, sum_logits = 0;
        for (std::size_t j = 0; j < V; ++j) {
            const double e = std::exp(double(logits[j] - top));
            dlogits[j] = Real(e);
            sum_exp += e;
            sum_logits += double(logits[j]);
        }
        const double log_z = double(top) + std::log(sum_exp);
        const TokenId y = targets[t];
        assert(y >= 0 && std::size_t(y) < V);
        const double nll = log_z - double(logits[y]);
        // smoothed target q = (1 - eps) onehot + eps / V:  -sum_j q_j log p_j
        const double mean_nll_all = log_z - sum_logits / double(V);
        sums.plain += nll;
        sums.optimized += (1 - eps) * nll + eps * mean_nll_all;
        const double inv_sum = 1.0 / sum_exp, smooth = eps / double(V);
        for (std::size_t j = 0; j < V; ++j)
            dlogits[j] = Real(grad_scale * (double(dlogits[j]) * inv_sum - smooth));
        dlogits[y] -= Real(grad_scale * (1 - eps));
    }
    return sums;
}

template <typename Real>
LRNN_VECTOR_CLONES
void model_backward(const ModelView<const Real*>& p, std::span<const TokenId> tokens,
                    Workspace<Real>& ws, const ModelView<Real*>& grad) {
    const ModelConfig& c = ws.config;
    const std::size_t T = ws.steps, d = c.n_embd, V = c.vocab_size;
    assert(tokens.size() == T);

    // 4.4 output
    backward_weight_product(ws, ws.ln_out.data(), ws.dlogits.data(), grad.head, T, d, V);
    backward_input_product(ws, ws.dlogits.data(), p.head, ws.d_ln_out.data(), T, d, V);
    std::fill_n(ws.dh.data(), T * d, Real(0));
    // The stream entering ln_out is the output of the last layer: its h is still in ws.h.
    layernorm_backward(ws.d_ln_out.data(), ws.h.data(), ws.ln_out_mean.data(),
                       ws.ln_out_rstd.data(), p.ln_out_weight, ws.dh.data(), grad.ln_out_weight,
                       grad.ln_out_bias, T, d);

    for (int l = c.n_layer - 1; l >= 0; --l) {
        channel_mix_backward(p.layers[l], ws.layers[l], ws, grad.layers[l], T);
        time_mix_backward(p.layers[l], ws.layers[l], ws, grad.layers[l], T);
    }

    // 4.1 embedding: d_embedded reuses d_ln_out's buffer
    std::fill_n(ws.d_ln_out.data(), T * d, Real(0));
    layernorm_backward(ws.dh.data(), ws.embedded.data(), ws.ln0_mean.data(), ws.ln0_rstd.data(),
                       p.ln0_weight, ws.d_ln_out.data(), grad.ln0_weight, grad.ln0_bias, T, d);
    for (std::size_t t = 0; t < T; ++t) {
        Real* row = grad.emb + std::size_t(tokens[t]) * d;
        const Real* g = ws.d_ln_out.data() + t * d;
        for (std::size_t ch = 0; ch < d; ++ch) row[ch] += g[ch];
    }
}

double training_matmul_flops(const ModelConfig& c, std::size_t T) {
    const double forward = c.n_layer * layer_forward_matmul_flops(c, T) +
                           matmul_flops(T, c.n_embd, c.vocab_size);
    return 3 * forward;  // backward: one product for the input gradient, one for the weight's
}

template void model_forward(const ModelView<const float*>&, std::span<const TokenId>,
                            Workspace<float>&, RecurrentState<float>*);
template void model_forward(const ModelView<const double*>&, std::span<const TokenId>,
                            Workspace<double>&, RecurrentState<double>*);
template LossSums model_loss(Workspace<float>&, std::span<const TokenId>, double, double);
template LossSums model_loss(Workspace<double>&, std::span<const TokenId>, double, double);
template void model_backward(const ModelView<const float*>&, std::span<const TokenId>,
                             Workspace<float>&, const ModelView<float*>&);
template void model_backward(const ModelView<const double*>&, std::span<const TokenId>,
                             Workspace<double>&, const ModelView<double*>&);

}  // namespace lrnn
