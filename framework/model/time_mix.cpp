// Time mix (model-spec.md 4.2): multi-scale token shift, r/k/v projections, data-dependent
// decay through a low-rank projection, and the slot-memory WKV scan.

#include <algorithm>
#include <cstring>

#include "core/gemm.hpp"
#include "model/layers.hpp"
#include "model/math.hpp"

namespace lrnn {

template <typename Real>
void time_mix_forward(const LayerView<const Real*>& p, LayerCache<Real>& cache,
                      Workspace<Real>& ws, std::size_t T) {
    const ModelConfig& c = ws.config;
    const std::size_t d = c.n_embd, rank = c.decay_lora_rank, S = c.n_mem_slots;
    const Real eps = Real(kEps);

    // 1. u_t = LN(h_t; ln1), written after the four history rows.
    std::copy_n(ws.h.data(), T * d, cache.h_in.data());
    Real* u = cache.u.data() + 4 * d;  // u[t * d] is u_t; u[(t - j) * d] is u_{t-j} for j <= 4
    layernorm_forward(cache.h_in.data(), p.ln1_weight, p.ln1_bias, u, cache.ln1_mean.data(),
                      cache.ln1_rstd.data(), T, d);

    // 2-3. multi-scale shift and the r/k/v mixes
    for (std::size_t t = 0; t < T; ++t) {
        const Real* ut = u + t * d;
        Real* sh = cache.shifted.data() + t * d;
        Real* xr = cache.xr.data() + t * d;
        Real* xk = cache.xk.data() + t * d;
        Real* xv = cache.xv.data() + t * d;
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real g1 = sigmoid(p.time_shift_w1[ch]), g2 = sigmoid(p.time_shift_w2[ch]),
                       g4 = sigmoid(p.time_shift_w4[ch]);
            const Real G = g1 + g2 + g4 + eps;
            sh[ch] = (g1 * ut[ch - d] + g2 * ut[ch - 2 * d] + g4 * ut[ch - 4 * d]) / G;
            const Real mr = sigmoid(p.time_mix_r[ch]), mk = sigmoid(p.time_mix_k[ch]),
                       mv = sigmoid(p.time_mix_v[ch]);
            xr[ch] = ut[ch] * mr + sh[ch] * (Real(1) - mr);
            xk[ch] = ut[ch] * mk + sh[ch] * (Real(1) - mk);
            xv[ch] = ut[ch] * mv + sh[ch] * (Real(1) - mv);
        }
    }

    // 4. projections
    matmul(cache.xr.data(), p.Wr, cache.r.data(), T, d, d);
    matmul(cache.xk.data(), p.Wk, cache.k_pre.data(), T, d, d);
    matmul(cache.xv.data(), p.Wv, cache.v.data(), T, d, d);
    for (std::size_t i = 0; i < T * d; ++i) {
        cache.r[i] = sigmoid(cache.r[i]);
        cache.k[i] = clampexp(cache.k_pre[i]);
    }

    // 5. decay w_t = sigmoid(decay_base + (u_t @ A) @ B)
    matmul(u, p.decay_lora_a, cache.lora_mid.data(), T, d, rank);
    matmul(cache.lora_mid.data(), p.decay_lora_b, cache.decay.data(), T, rank, d);
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t ch = 0; ch < d; ++ch) {
            Real& w = cache.decay[t * d + ch];
            w = sigmoid(p.decay_base[ch] + w);
        }

    // 6. bonus
    for (std::size_t ch = 0; ch < d; ++ch) ws.bonus[ch] = clampexp(p.time_first[ch]);

    // 7. slot memory: gates, then the scan over t
    matmul(u, p.mem_gate_write, cache.write_gate.data(), T, d, S);
    matmul(u, p.mem_gate_read, cache.read_gate.data(), T, d, S);
    softmax_rows(cache.write_gate.data(), T, S);
    softmax_rows(cache.read_gate.data(), T, S);

    Real* read_num = ws.scratch_d.data();  // (d) RN
    Real* read_den = ws.scratch_d2.data(); // (d) RD
    for (std::size_t t = 0; t < T; ++t) {
        const Real* N = cache.num_state.data() + t * S * d;  // (S, d) state before step t
        const Real* D = cache.den_state.data() + t * S * d;
        Real* N_next = cache.num_state.data() + (t + 1) * S * d;
        Real* D_next = cache.den_state.data() + (t + 1) * S * d;
        const Real* rg = cache.read_gate.data() + t * S;
        const Real* wg = cache.write_gate.data() + t * S;
        const Real* k = cache.k.data() + t * d;
        const Real* v = cache.v.data() + t * d;
        const Real* w = cache.decay.data() + t * d;

        std::fill_n(read_num, d, Real(0));
        std::fill_n(read_den, d, Real(0));
        for (std::size_t s = 0; s < S; ++s)
            for (std::size_t ch = 0; ch < d; ++ch) {
                read_num[ch] += rg[s] * N[s * d + ch];
                read_den[ch] += rg[s] * D[s * d + ch];
            }
        Real* wkv = cache.wkv.data() + t * d;
        Real* den = cache.wkv_den.data() + t * d;
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real bk = ws.bonus[ch] * k[ch];
            den[ch] = read_den[ch] + bk + eps;
            wkv[ch] = (read_num[ch] + bk * v[ch]) / den[ch];
        }
        for (std::size_t s = 0; s < S; ++s)
            for (std::size_t ch = 0; ch < d; ++ch) {
                const Real decay = w[ch] * ws.alibi_decay[ch];
                N_next[s * d + ch] = decay * N[s * d + ch] + wg[s] * (k[ch] * v[ch]);
                D_next[s * d + ch] = decay * D[s * d + ch] + wg[s] * k[ch];
            }
    }

    // 8. h += (r * wkv) @ Wo
    for (std::size_t i = 0; i < T * d; ++i) cache.gated[i] = cache.r[i] * cache.wkv[i];
    matmul(cache.gated.data(), p.Wo, ws.h.data(), T, d, d, Real(1));
}

template <typename Real>
void time_mix_backward(const LayerView<const Real*>& p, const LayerCache<Real>& cache,
                       Workspace<Real>& ws, const LayerView<Real*>& grad, std::size_t T) {
    const ModelConfig& c = ws.config;
    const std::size_t d = c.n_embd, rank = c.decay_lora_rank, S = c.n_mem_slots;
    const Real eps = Real(kEps);
    const Real* u = cache.u.data() + 4 * d;

    // 8. through Wo and the r gate
    matmul_backward_weight(cache.gated.data(), ws.dh.data(), grad.Wo, T, d, d);
    matmul_backward_input(ws.dh.data(), p.Wo, ws.dgated.data(), T, d, d);
    for (std::size_t i = 0; i < T * d; ++i) {
        const Real r = cache.r[i];
        ws.dr_pre[i] = ws.dgated[i] * cache.wkv[i] * r * (Real(1) - r);
        ws.dwkv[i] = ws.dgated[i] * r;
    }

    // 7. the scan in reverse. dnum/dden hold the gradient of N_{t+1}, D_{t+1}.
    for (std::size_t ch = 0; ch < d; ++ch) ws.bonus[ch] = clampexp(p.time_first[ch]);
    std::fill(ws.dnum.begin(), ws.dnum.end(), Real(0));
    std::fill(ws.dden.begin(), ws.dden.end(), Real(0));
    std::fill(ws.dbonus.begin(), ws.dbonus.end(), Real(0));
    Real* dN = ws.dnum.data();
    Real* dD = ws.dden.data();
    Real* d_read_num = ws.scratch_d.data();  // (d) gradient of RN_t (= of the numerator)
    Real* d_read_den = ws.scratch_d2.data(); // (d) gradient of RD_t (= of the denominator)
    for (std::size_t t = T; t-- > 0;) {
        const Real* N = cache.num_state.data() + t * S * d;
        const Real* D = cache.den_state.data() + t * S * d;
        const Real* rg = cache.read_gate.data() + t * S;
        const Real* wg = cache.write_gate.data() + t * S;
        const Real* k = cache.k.data() + t * d;
        const Real* v = cache.v.data() + t * d;
        const Real* w = cache.decay.data() + t * d;
        const Real* wkv = cache.wkv.data() + t * d;
        const Real* den = cache.wkv_den.data() + t * d;
        const Real* dwkv = ws.dwkv.data() + t * d;
        Real* dk = ws.dk.data() + t * d;
        Real* dv = ws.dv.data() + t * d;
        Real* dw = ws.ddecay.data() + t * d;
        Real* dwg = ws.dwrite_gate.data() + t * S;
        Real* drg = ws.dread_gate.data() + t * S;

        // write: N_{t+1} = w a N_t + wg k v,  D_{t+1} = w a D_t + wg k
        for (std::size_t ch = 0; ch < d; ++ch) dw[ch] = dk[ch] = dv[ch] = Real(0);
        for (std::size_t s = 0; s < S; ++s) {
            Real dwg_s = 0;
            for (std::size_t ch = 0; ch < d; ++ch) {
                const Real gN = dN[s * d + ch], gD = dD[s * d + ch];
                dw[ch] += gN * N[s * d + ch] + gD * D[s * d + ch];
                dwg_s += gN * (k[ch] * v[ch]) + gD * k[ch];
                dk[ch] += wg[s] * (gN * v[ch] + gD);
                dv[ch] += wg[s] * gN * k[ch];
            }
            dwg[s] = dwg_s;
        }
        for (std::size_t ch = 0; ch < d; ++ch) dw[ch] *= ws.alibi_decay[ch];

        // read: wkv = (RN + beta k v) / (RD + beta k + eps)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real beta = ws.bonus[ch];
            d_read_num[ch] = dwkv[ch] / den[ch];
            d_read_den[ch] = -dwkv[ch] * wkv[ch] / den[ch];
            ws.dbonus[ch] += d_read_num[ch] * k[ch] * v[ch] + d_read_den[ch] * k[ch];
            dk[ch] += d_read_num[ch] * beta * v[ch] + d_read_den[ch] * beta;
            dv[ch] += d_read_num[ch] * beta * k[ch];
        }
        for (std::size_t s = 0; s < S; ++s) {
            Real drg_s = 0;
            for (std::size_t ch = 0; ch < d; ++ch)
                drg_s += d_read_num[ch] * N[s * d + ch] + d_read_den[ch] * D[s * d + ch];
            drg[s] = drg_s;
        }

        // gradient of N_t, D_t: through the decay of the write and through the read
        (void)eps;
        for (std::size_t s = 0; s < S; ++s)
            for (std::size_t ch = 0; ch < d; ++ch) {
                const Real decay = w[ch] * ws.alibi_decay[ch];
                dN[s * d + ch] = decay * dN[s * d + ch] + rg[s] * d_read_num[ch];
                dD[s * d + ch] = decay * dD[s * d + ch] + rg[s] * d_read_den[ch];
            }
    }
    for (std::size_t ch = 0; ch < d; ++ch)
        grad.time_first[ch] += ws.dbonus[ch] * clampexp_grad(p.time_first[ch], ws.bonus[ch]);

    // 4. through the k and r nonlinearities (dr_pre done above)
    for (std::size_t i = 0; i < T * d; ++i) ws.dk[i] *= clampexp_grad(cache.k_pre[i], cache.k[i]);

    // du collects every path into u_t; rows 0..3 are the (discarded) history.
    std::fill(ws.du.begin(), ws.du.begin() + (T + 4) * d, Real(0));
    Real* du = ws.du.data() + 4 * d;

    // 7. gates: softmax, then u @ mem_gate_{write,read}
    softmax_rows_backward(cache.write_gate.data(), ws.dwrite_gate.data(), ws.dgate_logits.data(), T, S);
    matmul_backward_weight(u, ws.dgate_logits.data(), grad.mem_gate_write, T, d, S);
    matmul_backward_input(ws.dgate_logits.data(), p.mem_gate_write, du, T, d, S, Real(1));
    softmax_rows_backward(cache.read_gate.data(), ws.dread_gate.data(), ws.dgate_logits.data(), T, S);
    matmul_backward_weight(u, ws.dgate_logits.data(), grad.mem_gate_read, T, d, S);
    matmul_backward_input(ws.dgate_logits.data(), p.mem_gate_read, du, T, d, S, Real(1));

    // 5. decay: w = sigmoid(decay_base + (u @ A) @ B)
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real w = cache.decay[t * d + ch];
            Real& g = ws.ddecay[t * d + ch];
            g *= w * (Real(1) - w);
            grad.decay_base[ch] += g;
        }
    matmul_backward_weight(cache.lora_mid.data(), ws.ddecay.data(), grad.decay_lora_b, T, rank, d);
    matmul_backward_input(ws.ddecay.data(), p.decay_lora_b, ws.dlora_mid.data(), T, rank, d);
    matmul_backward_weight(u, ws.dlora_mid.data(), grad.decay_lora_a, T, d, rank);
    matmul_backward_input(ws.dlora_mid.data(), p.decay_lora_a, du, T, d, rank, Real(1));

    // 4. projections
    matmul_backward_weight(cache.xr.data(), ws.dr_pre.data(), grad.Wr, T, d, d);
    matmul_backward_input(ws.dr_pre.data(), p.Wr, ws.dxr.data(), T, d, d);
    matmul_backward_weight(cache.xk.data(), ws.dk.data(), grad.Wk, T, d, d);
    matmul_backward_input(ws.dk.data(), p.Wk, ws.dxk.data(), T, d, d);
    matmul_backward_weight(cache.xv.data(), ws.dv.data(), grad.Wv, T, d, d);
    matmul_backward_input(ws.dv.data(), p.Wv, ws.dxv.data(), T, d, d);

    // 3. mixes: x = u m + sh (1 - m), m = sigmoid(time_mix)
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const std::size_t i = t * d + ch;
            const Real mr = sigmoid(p.time_mix_r[ch]), mk = sigmoid(p.time_mix_k[ch]),
                       mv = sigmoid(p.time_mix_v[ch]);
            const Real diff = u[i] - cache.shifted[i];
            du[i] += ws.dxr[i] * mr + ws.dxk[i] * mk + ws.dxv[i] * mv;
            ws.dshifted[i] = ws.dxr[i] * (Real(1) - mr) + ws.dxk[i] * (Real(1) - mk) +
                             ws.dxv[i] * (Real(1) - mv);
            grad.time_mix_r[ch] += ws.dxr[i] * diff * mr * (Real(1) - mr);
            grad.time_mix_k[ch] += ws.dxk[i] * diff * mk * (Real(1) - mk);
            grad.time_mix_v[ch] += ws.dxv[i] * diff * mv * (Real(1) - mv);
        }

    // 2. shift: sh_t = (g1 u_{t-1} + g2 u_{t-2} + g4 u_{t-4}) / G; d sh / d g_j = (u_{t-j} - sh) / G
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const std::size_t i = t * d + ch;
            const Real g1 = sigmoid(p.time_shift_w1[ch]), g2 = sigmoid(p.time_shift_w2[ch]),
                       g4 = sigmoid(p.time_shift_w4[ch]);
            const Real G = g1 + g2 + g4 + eps;
            const Real dsh = ws.dshifted[i];
            const Real sh = cache.shifted[i];
            du[i - d] += dsh * g1 / G;
            du[i - 2 * d] += dsh * g2 / G;
            du[i - 4 * d] += dsh * g4 / G;
            grad.time_shift_w1[ch] += dsh * (u[i - d] - sh) / G * g1 * (Real(1) - g1);
            grad.time_shift_w2[ch] += dsh * (u[i - 2 * d] - sh) / G * g2 * (Real(1) - g2);
            grad.time_shift_w4[ch] += dsh * (u[i - 4 * d] - sh) / G * g4 * (Real(1) - g4);
        }

    // 1. ln1; the residual path already sits in ws.dh
    layernorm_backward(du, cache.h_in.data(), cache.ln1_mean.data(), cache.ln1_rstd.data(),
                       p.ln1_weight, ws.dh.data(), grad.ln1_weight, grad.ln1_bias, T, d);
}

template void time_mix_forward(const LayerView<const float*>&, LayerCache<float>&,
                               Workspace<float>&, std::size_t);
template void time_mix_forward(const LayerView<const double*>&, LayerCache<double>&,
                               Workspace<double>&, std::size_t);
template void time_mix_backward(const LayerView<const float*>&, const LayerCache<float>&,
                                Workspace<float>&, const LayerView<float*>&, std::size_t);
template void time_mix_backward(const LayerView<const double*>&, const LayerCache<double>&,
                                Workspace<double>&, const LayerView<double*>&, std::size_t);

}  // namespace lrnn
