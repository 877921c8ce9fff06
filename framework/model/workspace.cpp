#include "model/workspace.hpp"

#include <cmath>

namespace lrnn {

template <typename Real>
Workspace<Real>::Workspace(const ModelConfig& c, std::size_t max_T)
    : config(c), max_steps(max_T) {
    const std::size_t T = max_T, d = c.n_embd, r = c.decay_lora_rank, F = c.ffn_hidden(),
                      S = c.n_mem_slots, V = c.vocab_size;
    alibi_decay.resize(d);
    for (std::size_t ch = 0; ch < d; ++ch) {
        const int head = int(ch) / c.head_dim();
        const double slope = std::pow(2.0, -8.0 * (head + 1) / c.n_head);
        alibi_decay[ch] = Real(std::exp(-slope));
    }
    bonus.resize(d);
    embedded.resize(T * d);
    ln0_mean.resize(T), ln0_rstd.resize(T);
    h.resize(T * d);
    ln_out_mean.resize(T), ln_out_rstd.resize(T);
    ln_out.resize(T * d);
    logits.resize(T * V);
    layers.resize(c.n_layer);
    for (auto& L : layers) {
        L.h_in.resize(T * d);
        L.ln1_mean.resize(T), L.ln1_rstd.resize(T);
        L.u.resize((T + 4) * d);
        L.shifted.resize(T * d);
        L.xr.resize(T * d), L.xk.resize(T * d), L.xv.resize(T * d);
        L.r.resize(T * d), L.k_pre.resize(T * d), L.k.resize(T * d), L.v.resize(T * d);
        L.lora_mid.resize(T * r);
        L.decay.resize(T * d);
        L.write_gate.resize(T * S), L.read_gate.resize(T * S);
        L.num_state.resize((T + 1) * S * d), L.den_state.resize((T + 1) * S * d);
        L.wkv_den.resize(T * d), L.wkv.resize(T * d), L.gated.resize(T * d);
        L.h_mid.resize(T * d);
        L.ln2_mean.resize(T), L.ln2_rstd.resize(T);
        L.z.resize((T + 1) * d);
        L.xm.resize(T * d);
        L.gate_pre.resize(T * F), L.up.resize(T * F), L.act.resize(T * F);
    }
    dlogits.resize(T * V);
    dh.resize(T * d), d_ln_out.resize(T * d);
    du.resize((T + 4) * d);
    dxr.resize(T * d), dxk.resize(T * d), dxv.resize(T * d);
    dr_pre.resize(T * d), dk.resize(T * d), dv.resize(T * d), ddecay.resize(T * d);
    dwkv.resize(T * d), dgated.resize(T * d);
    dlora_mid.resize(T * r);
    dwrite_gate.resize(T * S), dread_gate.resize(T * S), dgate_logits.resize(T * S);
    dnum.resize(S * d), dden.resize(S * d);
    dbonus.resize(d), scratch_d.resize(d), scratch_d2.resize(d);
    dact.resize(T * F), dgate_pre.resize(T * F), dup.resize(T * F);
    dxm.resize(T * d);
    dz.resize((T + 1) * d);
}

std::size_t workspace_values(const ModelConfig& c, std::size_t T) {
    const std::size_t d = c.n_embd, r = c.decay_lora_rank, F = c.ffn_hidden(), S = c.n_mem_slots,
                      V = c.vocab_size, L = c.n_layer;
    // The resize calls of the constructor, group by group.
    const std::size_t per_layer = T * d            // h_in
                                  + 2 * T          // ln1 mean, rstd
                                  + (T + 4) * d    // u
                                  + 8 * T * d      // shifted, xr, xk, xv, r, k_pre, k, v
                                  + T * r          // lora_mid
                                  + T * d          // decay
                                  + 2 * T * S      // write, read gates
                                  + 2 * (T + 1) * S * d  // num_state, den_state
                                  + 4 * T * d      // wkv_den, wkv, gated, h_mid
                                  + 2 * T          // ln2 mean, rstd
                                  + (T + 1) * d    // z
                                  + T * d          // xm
                                  + 3 * T * F;     // gate_pre, up, act
    const std::size_t forward = 2 * d + T * d + 2 * T + T * d + 2 * T + T * d + T * V;
    const std::size_t backward = T * V + 2 * T * d + (T + 4) * d + 3 * T * d + 4 * T * d + 2 * T * d + T * r +
                                 3 * T * S + 2 * S * d + 3 * d + 3 * T * F + T * d + (T + 1) * d;
    return forward + L * per_layer + backward;
}

template struct Workspace<float>;
template struct Workspace<double>;

}  // namespace lrnn
