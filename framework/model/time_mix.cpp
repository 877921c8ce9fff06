// Time mix (model-spec.md 4.2): multi-scale token shift, r/k/v projections, data-dependent
// decay through a low-rank projection, and the slot-memory WKV scan.

#include <algorithm>
#include <cstring>

#include "core/gemm.hpp"
#include "core/vector_clones.hpp"
#include "model/forward_product.hpp"
#include "model/layers.hpp"
#include "model/math.hpp"

namespace lrnn {

namespace {

// The scan's loops over channels, as functions whose pointer arguments are __restrict (a
// GCC/Clang extension): these arrays never overlap, and saying so lets the compiler vectorise
// loops that write several arrays while reading several others (otherwise it would need more
// run-time overlap checks than it is willing to emit, and keeps them scalar).

// read: RN = sum_s rg_s N_s, RD = sum_s rg_s D_s (each (d)); N, D are (S, d).
template <typename Real>
LRNN_VECTOR_CLONES
void scan_read(const Real* __restrict N, const Real* __restrict D, const Real* __restrict rg,
               Real* __restrict read_num, Real* __restrict read_den, std::size_t S,
               std::size_t d) {
    std::fill_n(read_num, d, Real(0));
    std::fill_n(read_den, d, Real(0));
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t ch = 0; ch < d; ++ch) {
            read_num[ch] += rg[s] * N[s * d + ch];
            read_den[ch] += rg[s] * D[s * d + ch];
        }
}

// wkv = (RN + beta k v) / (RD + beta k + eps); keeps the denominator for the backward pass.
template <typename Real>
LRNN_VECTOR_CLONES
void scan_output(const Real* __restrict read_num, const Real* __restrict read_den,
                 const Real* __restrict beta, const Real* __restrict k, const Real* __restrict v,
                 Real* __restrict den, Real* __restrict wkv, std::size_t d) {
    const Real eps = Real(kEps);
    for (std::size_t ch = 0; ch < d; ++ch) {
        const Real bk = beta[ch] * k[ch];
        den[ch] = read_den[ch] + bk + eps;
        wkv[ch] = (read_num[ch] + bk * v[ch]) / den[ch];
    }
}

// write: N_{t+1} = w a N_t + wg k v,  D_{t+1} = w a D_t + wg k, per slot s.
template <typename Real>
LRNN_VECTOR_CLONES
void scan_write(const Real* __restrict N, const Real* __restrict D, const Real* __restrict w,
                const Real* __restrict alibi, const Real* __restrict wg, const Real* __restrict k,
                const Real* __restrict v, Real* __restrict N_next, Real* __restrict D_next,
                std::size_t S, std::size_t d) {
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real decay = w[ch] * alibi[ch];
            N_next[s * d + ch] = decay * N[s * d + ch] + wg[s] * (k[ch] * v[ch]);
            D_next[s * d + ch] = decay * D[s * d + ch] + wg[s] * k[ch];
        }
}

// Backward of the write, per channel: dw (before the factor a), dk, dv from dN, dD, the
// gradients of N_{t+1}, D_{t+1}. dw, dk, dv are set, not accumulated.
template <typename Real>
LRNN_VECTOR_CLONES
void scan_write_backward(const Real* __restrict dN, const Real* __restrict dD,
                         const Real* __restrict N, const Real* __restrict D,
                         const Real* __restrict wg, const Real* __restrict k,
                         const Real* __restrict v, Real* __restrict dw, Real* __restrict dk,
                         Real* __restrict dv, std::size_t S, std::size_t d) {
    for (std::size_t ch = 0; ch < d; ++ch) dw[ch] = dk[ch] = dv[ch] = Real(0);
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real gN = dN[s * d + ch], gD = dD[s * d + ch];
            dw[ch] += gN * N[s * d + ch] + gD * D[s * d + ch];
            dk[ch] += wg[s] * (gN * v[ch] + gD);
            dv[ch] += wg[s] * gN * k[ch];
        }
}

// Backward of the read and the output: the gradients of RN, RD, and the bonus, k, v terms.
template <typename Real>
LRNN_VECTOR_CLONES
void scan_output_backward(const Real* __restrict dwkv, const Real* __restrict den,
                          const Real* __restrict wkv, const Real* __restrict beta,
                          const Real* __restrict k, const Real* __restrict v,
                          Real* __restrict d_read_num, Real* __restrict d_read_den,
                          Real* __restrict dbeta, Real* __restrict dk, Real* __restrict dv,
                          std::size_t d) {
    for (std::size_t ch = 0; ch < d; ++ch) {
        d_read_num[ch] = dwkv[ch] / den[ch];
        d_read_den[ch] = -dwkv[ch] * wkv[ch] / den[ch];
        dbeta[ch] += d_read_num[ch] * k[ch] * v[ch] + d_read_den[ch] * k[ch];
        dk[ch] += d_read_num[ch] * beta[ch] * v[ch] + d_read_den[ch] * beta[ch];
        dv[ch] += d_read_num[ch] * beta[ch] * k[ch];
    }
}

// The gradient of N_t, D_t from that of N_{t+1}, D_{t+1} (through the decay of the write) and
// of RN_t, RD_t (through the read), in place.
template <typename Real>
LRNN_VECTOR_CLONES
void scan_state_backward(const Real* __restrict w, const Real* __restrict alibi,
                         const Real* __restrict rg, const Real* __restrict d_read_num,
                         const Real* __restrict d_read_den, Real* __restrict dN,
                         Real* __restrict dD, std::size_t S, std::size_t d) {
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real decay = w[ch] * alibi[ch];
            dN[s * d + ch] = decay * dN[s * d + ch] + rg[s] * d_read_num[ch];
            dD[s * d + ch] = decay * dD[s * d + ch] + rg[s] * d_read_den[ch];
        }
}

// The per-channel coefficients of the multi-scale shift and the r/k/v mixes for one block of
// channels [c0, c0 + nc): the shift weights g_j = sigmoid(time_shift_wj), their sum
// G = g1 + g2 + g4 + eps, and the mixes m = sigmoid(time_mix_*). The forward and the backward
// pass compute them the same way, here.
template <typename Real>
struct ShiftMix {
    Real g1[kChannelBlock], g2[kChannelBlock], g4[kChannelBlock], G[kChannelBlock];
    Real mr[kChannelBlock], mk[kChannelBlock], mv[kChannelBlock];

    ShiftMix(const LayerView<const Real*>& p, std::size_t c0, std::size_t nc) {
        const Real eps = Real(kEps);
        for (std::size_t j = 0; j < nc; ++j) {
            const std::size_t ch = c0 + j;
            g1[j] = sigmoid(p.time_shift_w1[ch]), g2[j] = sigmoid(p.time_shift_w2[ch]),
            g4[j] = sigmoid(p.time_shift_w4[ch]);
            G[j] = g1[j] + g2[j] + g4[j] + eps;
            mr[j] = sigmoid(p.time_mix_r[ch]), mk[j] = sigmoid(p.time_mix_k[ch]),
            mv[j] = sigmoid(p.time_mix_v[ch]);
        }
    }
};

// Where the scan's state before step t lives, for t in one segment [t0, t1) of kScanSegment
// steps and t = t1 (layers.hpp): the segment's first state and the next segment's in the
// layer's checkpoint slots, those in between in the workspace's segment buffers.
template <typename Real>
class SegmentStates {
public:
    SegmentStates(const LayerCache<Real>& cache, Workspace<Real>& ws, std::size_t segment,
                  std::size_t T)
        : num_(cache.num_state.data()), den_(cache.den_state.data()),
          segment_num_(ws.segment_num.data()), segment_den_(ws.segment_den.data()),
          slot_(segment), t0_(segment * kScanSegment), t1_(std::min(t0_ + kScanSegment, T)),
          size_(ws.config.n_mem_slots * std::size_t(ws.config.n_embd)) {}

    std::size_t first() const { return t0_; }
    std::size_t end() const { return t1_; }
    Real* N(std::size_t t) const { return at(num_, segment_num_, t); }
    Real* D(std::size_t t) const { return at(den_, segment_den_, t); }

private:
    Real* at(Real* slots, Real* inside, std::size_t t) const {
        if (t == t0_) return slots + slot_ * size_;
        if (t == t1_) return slots + (slot_ + 1) * size_;
        return inside + (t - t0_ - 1) * size_;
    }

    Real *num_, *den_, *segment_num_, *segment_den_;
    std::size_t slot_, t0_, t1_, size_;
};

}  // namespace

template <typename Real>
LRNN_VECTOR_CLONES
void time_mix_forward(const LayerView<const Real*>& p, LayerCache<Real>& cache,
                      Workspace<Real>& ws, std::size_t T) {
    const ModelConfig& c = ws.config;
    const std::size_t d = c.n_embd, rank = c.decay_lora_rank, S = c.n_mem_slots;

    // 1. u_t = LN(h_t; ln1), written after the four history rows.
    std::copy_n(ws.h.data(), T * d, cache.h_in.data());
    Real* u = cache.u.data() + 4 * d;  // u[t * d] is u_t; u[(t - j) * d] is u_{t-j} for j <= 4
    layernorm_forward(cache.h_in.data(), p.ln1_weight, p.ln1_bias, u, cache.ln1_mean.data(),
                      cache.ln1_rstd.data(), T, d);

    // 2-3. multi-scale shift and the r/k/v mixes, a block of channels at a time so that the
    // sigmoids of the per-channel parameters are computed once per layer (see kChannelBlock).
    for (std::size_t c0 = 0; c0 < d; c0 += kChannelBlock) {
        const std::size_t nc = std::min(kChannelBlock, d - c0);
        const ShiftMix<Real> coefficients(p, c0, nc);
        const auto& [g1, g2, g4, G, mr, mk, mv] = coefficients;
        for (std::size_t t = 0; t < T; ++t) {
            const Real* ut = u + t * d + c0;
            const Real* u1 = ut - d;      // u_{t-1}
            const Real* u2 = ut - 2 * d;  // u_{t-2}
            const Real* u4 = ut - 4 * d;  // u_{t-4}
            Real* sh = cache.shifted.data() + t * d + c0;
            Real* xr = cache.xr.data() + t * d + c0;
            Real* xk = cache.xk.data() + t * d + c0;
            Real* xv = cache.xv.data() + t * d + c0;
            LRNN_IVDEP
            for (std::size_t j = 0; j < nc; ++j) {
                sh[j] = (g1[j] * u1[j] + g2[j] * u2[j] + g4[j] * u4[j]) / G[j];
                xr[j] = ut[j] * mr[j] + sh[j] * (Real(1) - mr[j]);
                xk[j] = ut[j] * mk[j] + sh[j] * (Real(1) - mk[j]);
                xv[j] = ut[j] * mv[j] + sh[j] * (Real(1) - mv[j]);
            }
        }
    }

    // 4. projections
    forward_product(ws, cache.xr.data(), p.Wr, cache.r.data(), T, d, d);
    forward_product(ws, cache.xk.data(), p.Wk, cache.k_pre.data(), T, d, d);
    forward_product(ws, cache.xv.data(), p.Wv, cache.v.data(), T, d, d);
    for (std::size_t i = 0; i < T * d; ++i) {
        cache.r[i] = sigmoid(cache.r[i]);
        cache.k[i] = clampexp(cache.k_pre[i]);
    }

    // 5. decay w_t = sigmoid(decay_base + (u_t @ A) @ B)
    forward_product(ws, u, p.decay_lora_a, cache.lora_mid.data(), T, d, rank);
    forward_product(ws, cache.lora_mid.data(), p.decay_lora_b, cache.decay.data(), T, rank, d);
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t ch = 0; ch < d; ++ch) {
            Real& w = cache.decay[t * d + ch];
            w = sigmoid(p.decay_base[ch] + w);
        }

    // 6. bonus
    for (std::size_t ch = 0; ch < d; ++ch) ws.bonus[ch] = clampexp(p.time_first[ch]);

    // 7. slot memory: gates, then the scan over t
    forward_product(ws, u, p.mem_gate_write, cache.write_gate.data(), T, d, S);
    forward_product(ws, u, p.mem_gate_read, cache.read_gate.data(), T, d, S);
    softmax_rows(cache.write_gate.data(), T, S);
    softmax_rows(cache.read_gate.data(), T, S);

    Real* read_num = ws.scratch_d.data();  // (d) RN
    Real* read_den = ws.scratch_d2.data(); // (d) RD
    for (std::size_t segment = 0; segment < scan_final_slot(T); ++segment) {
        const SegmentStates<Real> states(cache, ws, segment, T);
        for (std::size_t t = states.first(); t < states.end(); ++t) {
            const Real* rg = cache.read_gate.data() + t * S;
            const Real* wg = cache.write_gate.data() + t * S;
            const Real* k = cache.k.data() + t * d;
            const Real* v = cache.v.data() + t * d;
            const Real* w = cache.decay.data() + t * d;

            scan_read(states.N(t), states.D(t), rg, read_num, read_den, S, d);
            scan_output(read_num, read_den, ws.bonus.data(), k, v, cache.wkv_den.data() + t * d,
                        cache.wkv.data() + t * d, d);
            scan_write(states.N(t), states.D(t), w, ws.alibi_decay.data(), wg, k, v,
                       states.N(t + 1), states.D(t + 1), S, d);
        }
    }

    // 8. h += (r * wkv) @ Wo
    for (std::size_t i = 0; i < T * d; ++i) cache.gated[i] = cache.r[i] * cache.wkv[i];
    forward_product(ws, cache.gated.data(), p.Wo, ws.h.data(), T, d, d, Real(1));
}

// One function, longer than the rest, on purpose: it is the forward's numbered steps in reverse
// (8 down to 1), each reading the cache the forward left, so that forward and backward can be
// read side by side against the spec; split, the steps would pass a dozen buffers around.
template <typename Real>
LRNN_VECTOR_CLONES
void time_mix_backward(const LayerView<const Real*>& p, const LayerCache<Real>& cache,
                       Workspace<Real>& ws, const LayerView<Real*>& grad, std::size_t T) {
    const ModelConfig& c = ws.config;
    const std::size_t d = c.n_embd, rank = c.decay_lora_rank, S = c.n_mem_slots;
    const Real* u = cache.u.data() + 4 * d;

    // 8. through Wo and the r gate
    backward_weight_product(ws, cache.gated.data(), ws.dh.data(), grad.Wo, T, d, d);
    backward_input_product(ws, ws.dh.data(), p.Wo, ws.dgated.data(), T, d, d);
    for (std::size_t i = 0; i < T * d; ++i) {
        const Real r = cache.r[i];
        ws.dr_pre[i] = ws.dgated[i] * cache.wkv[i] * r * (Real(1) - r);
        ws.dwkv[i] = ws.dgated[i] * r;
    }

    // 7. the scan in reverse, a segment at a time (layers.hpp). dnum/dden hold the gradient of
    // N_{t+1}, D_{t+1}.
    for (std::size_t ch = 0; ch < d; ++ch) ws.bonus[ch] = clampexp(p.time_first[ch]);
    std::fill(ws.dnum.begin(), ws.dnum.end(), Real(0));
    std::fill(ws.dden.begin(), ws.dden.end(), Real(0));
    std::fill(ws.dbonus.begin(), ws.dbonus.end(), Real(0));
    Real* dN = ws.dnum.data();
    Real* dD = ws.dden.data();
    Real* d_read_num = ws.scratch_d.data();  // (d) gradient of RN_t (= of the numerator)
    Real* d_read_den = ws.scratch_d2.data(); // (d) gradient of RD_t (= of the denominator)
    for (std::size_t segment = scan_final_slot(T); segment-- > 0;) {
        const SegmentStates<Real> states(cache, ws, segment, T);
        // the states inside the segment, as the forward pass computed them
        for (std::size_t t = states.first(); t + 1 < states.end(); ++t)
            scan_write(states.N(t), states.D(t), cache.decay.data() + t * d, ws.alibi_decay.data(),
                       cache.write_gate.data() + t * S, cache.k.data() + t * d,
                       cache.v.data() + t * d, states.N(t + 1), states.D(t + 1), S, d);
        for (std::size_t t = states.end(); t-- > states.first();) {
            const Real* N = states.N(t);
            const Real* D = states.D(t);
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
            scan_write_backward(dN, dD, N, D, wg, k, v, dw, dk, dv, S, d);
            for (std::size_t s = 0; s < S; ++s) {
                const Real* gN = dN + s * d;
                const Real* gD = dD + s * d;
                dwg[s] = sum_in_lanes<Real>(
                    d, [&](std::size_t ch) { return gN[ch] * (k[ch] * v[ch]) + gD[ch] * k[ch]; });
            }
            for (std::size_t ch = 0; ch < d; ++ch) dw[ch] *= ws.alibi_decay[ch];

            // read: wkv = (RN + beta k v) / (RD + beta k + eps)
            scan_output_backward(dwkv, den, wkv, ws.bonus.data(), k, v, d_read_num, d_read_den,
                                 ws.dbonus.data(), dk, dv, d);
            for (std::size_t s = 0; s < S; ++s) {
                const Real* Ns = N + s * d;
                const Real* Ds = D + s * d;
                drg[s] = sum_in_lanes<Real>(d, [&](std::size_t ch) {
                    return d_read_num[ch] * Ns[ch] + d_read_den[ch] * Ds[ch];
                });
            }

            // gradient of N_t, D_t: through the decay of the write and through the read
            scan_state_backward(w, ws.alibi_decay.data(), rg, d_read_num, d_read_den, dN, dD, S, d);
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
    backward_weight_product(ws, u, ws.dgate_logits.data(), grad.mem_gate_write, T, d, S);
    backward_input_product(ws, ws.dgate_logits.data(), p.mem_gate_write, du, T, d, S, Real(1));
    softmax_rows_backward(cache.read_gate.data(), ws.dread_gate.data(), ws.dgate_logits.data(), T, S);
    backward_weight_product(ws, u, ws.dgate_logits.data(), grad.mem_gate_read, T, d, S);
    backward_input_product(ws, ws.dgate_logits.data(), p.mem_gate_read, du, T, d, S, Real(1));

    // 5. decay: w = sigmoid(decay_base + (u @ A) @ B)
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t ch = 0; ch < d; ++ch) {
            const Real w = cache.decay[t * d + ch];
            Real& g = ws.ddecay[t * d + ch];
            g *= w * (Real(1) - w);
            grad.decay_base[ch] += g;
        }
    backward_weight_product(ws, cache.lora_mid.data(), ws.ddecay.data(), grad.decay_lora_b, T, rank, d);
    backward_input_product(ws, ws.ddecay.data(), p.decay_lora_b, ws.dlora_mid.data(), T, rank, d);
    backward_weight_product(ws, u, ws.dlora_mid.data(), grad.decay_lora_a, T, d, rank);
    backward_input_product(ws, ws.dlora_mid.data(), p.decay_lora_a, du, T, d, rank, Real(1));

    // 4. projections
    backward_weight_product(ws, cache.xr.data(), ws.dr_pre.data(), grad.Wr, T, d, d);
    backward_input_product(ws, ws.dr_pre.data(), p.Wr, ws.dxr.data(), T, d, d);
    backward_weight_product(ws, cache.xk.data(), ws.dk.data(), grad.Wk, T, d, d);
    backward_input_product(ws, ws.dk.data(), p.Wk, ws.dxk.data(), T, d, d);
    backward_weight_product(ws, cache.xv.data(), ws.dv.data(), grad.Wv, T, d, d);
    backward_input_product(ws, ws.dv.data(), p.Wv, ws.dxv.data(), T, d, d);

    // 3. mixes: x = u m + sh (1 - m), m = sigmoid(time_mix); then
    // 2. shift: sh_t = (g1 u_{t-1} + g2 u_{t-2} + g4 u_{t-4}) / G; d sh / d g_j = (u_{t-j} - sh) / G.
    // One pass over t, a block of channels at a time (see kChannelBlock). Row t of du gets its
    // mix term at step t and its shift terms at steps t+1, t+2, t+4, in that order, as it
    // would in two separate passes; the gradient of sh_t is used at once, never stored.
    for (std::size_t c0 = 0; c0 < d; c0 += kChannelBlock) {
        const std::size_t nc = std::min(kChannelBlock, d - c0);
        const ShiftMix<Real> coefficients(p, c0, nc);
        const auto& [g1, g2, g4, G, mr, mk, mv] = coefficients;
        Real* gmr = grad.time_mix_r + c0;
        Real* gmk = grad.time_mix_k + c0;
        Real* gmv = grad.time_mix_v + c0;
        Real* gw1 = grad.time_shift_w1 + c0;
        Real* gw2 = grad.time_shift_w2 + c0;
        Real* gw4 = grad.time_shift_w4 + c0;
        for (std::size_t t = 0; t < T; ++t) {
            const std::size_t row = t * d + c0;
            const Real* ut = u + row;
            const Real* sh = cache.shifted.data() + row;
            const Real* dxr = ws.dxr.data() + row;
            const Real* dxk = ws.dxk.data() + row;
            const Real* dxv = ws.dxv.data() + row;
            const Real* u1 = ut - d;  // u_{t-1}
            const Real* u2 = ut - 2 * d;
            const Real* u4 = ut - 4 * d;
            Real* dut = du + row;
            Real* du1 = dut - d;
            Real* du2 = dut - 2 * d;
            Real* du4 = dut - 4 * d;
            LRNN_IVDEP
            for (std::size_t j = 0; j < nc; ++j) {
                const Real diff = ut[j] - sh[j];
                dut[j] += dxr[j] * mr[j] + dxk[j] * mk[j] + dxv[j] * mv[j];
                const Real dsh = dxr[j] * (Real(1) - mr[j]) + dxk[j] * (Real(1) - mk[j]) +
                                 dxv[j] * (Real(1) - mv[j]);
                gmr[j] += dxr[j] * diff * mr[j] * (Real(1) - mr[j]);
                gmk[j] += dxk[j] * diff * mk[j] * (Real(1) - mk[j]);
                gmv[j] += dxv[j] * diff * mv[j] * (Real(1) - mv[j]);
                du1[j] += dsh * g1[j] / G[j];
                du2[j] += dsh * g2[j] / G[j];
                du4[j] += dsh * g4[j] / G[j];
                gw1[j] += dsh * (u1[j] - sh[j]) / G[j] * g1[j] * (Real(1) - g1[j]);
                gw2[j] += dsh * (u2[j] - sh[j]) / G[j] * g2[j] * (Real(1) - g2[j]);
                gw4[j] += dsh * (u4[j] - sh[j]) / G[j] * g4[j] * (Real(1) - g4[j]);
            }
        }
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
