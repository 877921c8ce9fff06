#pragma once
// Everything one forward/backward over a chunk of up to max_steps tokens needs, allocated once.
// One Workspace per worker thread: the model core itself holds no mutable state, so many
// threads may run chunks at once over shared, read-only parameters.

#include <cstddef>
#include <vector>

#include "model/config.hpp"

namespace lrnn {

class Bf16Weights;

// What the forward pass keeps of one layer for the backward pass. T = steps in the chunk.
template <typename Real>
struct LayerCache {
    // time mix
    std::vector<Real> h_in;       // (T, d)      residual stream entering the layer
    std::vector<Real> ln1_mean;   // (T)
    std::vector<Real> ln1_rstd;   // (T)
    std::vector<Real> u;          // (T + 4, d)  ln1 output; rows 0..3 = history u_{-4}..u_{-1}
    std::vector<Real> shifted;    // (T, d)      multi-scale shift sh_t
    std::vector<Real> xr, xk, xv; // (T, d)      mixed inputs of the r, k, v projections
    std::vector<Real> r;          // (T, d)      sigmoid(xr @ Wr)
    std::vector<Real> k_pre, k;   // (T, d)      xk @ Wk and clampexp of it
    std::vector<Real> v;          // (T, d)
    std::vector<Real> lora_mid;   // (T, rank)   u @ decay_lora_a
    std::vector<Real> decay;      // (T, d)      w_t
    std::vector<Real> write_gate; // (T, S)      wg_t
    std::vector<Real> read_gate;  // (T, S)      rg_t
    std::vector<Real> num_state;  // (T + 1, S, d) N_t, row 0 = initial state
    std::vector<Real> den_state;  // (T + 1, S, d) D_t
    std::vector<Real> wkv_den;    // (T, d)      RD + beta k + eps
    std::vector<Real> wkv;        // (T, d)
    std::vector<Real> gated;      // (T, d)      r * wkv, the input of Wo
    // channel mix
    std::vector<Real> h_mid;      // (T, d)      residual stream entering the channel mix
    std::vector<Real> ln2_mean;   // (T)
    std::vector<Real> ln2_rstd;   // (T)
    std::vector<Real> z;          // (T + 1, d)  ln2 output; row 0 = z_{-1}
    std::vector<Real> xm;         // (T, d)
    std::vector<Real> gate_pre;   // (T, F)      xm @ ffn_gate
    std::vector<Real> up;         // (T, F)      xm @ ffn_up
    std::vector<Real> act;        // (T, F)      silu(gate_pre) * up
};

template <typename Real>
struct Workspace {
    Workspace(const ModelConfig& config, std::size_t max_steps);

    ModelConfig config;
    std::size_t max_steps;
    std::size_t steps = 0;          // T of the chunk currently held

    // Generation with --weights bf16: one-token forward steps (T = 1) multiply by these bf16
    // copies of the weights instead of the float ones (model/forward_product.hpp). Null for
    // training, evaluation and float generation; never used in double precision.
    const Bf16Weights* bf16_weights = nullptr;

    std::vector<Real> alibi_decay;  // (d)  a_h of each channel's head, fixed
    std::vector<Real> bonus;        // (d)  beta = clampexp(time_first), per layer in turn

    // forward
    std::vector<Real> embedded;     // (T, d)  emb[x_t]
    std::vector<Real> ln0_mean, ln0_rstd; // (T)
    std::vector<Real> h;            // (T, d)  the residual stream
    std::vector<Real> ln_out_mean, ln_out_rstd; // (T)
    std::vector<Real> ln_out;       // (T, d)
    std::vector<Real> logits;       // (T, V)
    std::vector<LayerCache<Real>> layers;

    // backward scratch
    std::vector<Real> dlogits;      // (T, V)
    std::vector<Real> dh;           // (T, d)  gradient of the residual stream
    std::vector<Real> d_ln_out;     // (T, d)
    std::vector<Real> du;           // (T + 4, d)
    std::vector<Real> dxr, dxk, dxv;// (T, d)
    std::vector<Real> dr_pre, dk, dv, ddecay; // (T, d)
    std::vector<Real> dwkv, dgated; // (T, d)
    std::vector<Real> dlora_mid;    // (T, rank)
    std::vector<Real> dwrite_gate, dread_gate; // (T, S)
    std::vector<Real> dgate_logits; // (T, S)
    std::vector<Real> dnum, dden;   // (S, d)  gradient of N_{t+1}, D_{t+1} in the reverse scan
    std::vector<Real> dbonus;       // (d)
    std::vector<Real> scratch_d;    // (d)     scan temporaries
    std::vector<Real> scratch_d2;   // (d)
    std::vector<Real> dact, dgate_pre, dup; // (T, F)
    std::vector<Real> dxm;          // (T, d)
    std::vector<Real> dz;           // (T + 1, d)
};

// The number of values (floats or doubles) a Workspace(config, max_steps) holds, computed
// without allocating: the trainer checks that a model fits in memory before it starts
// (tests keep this in step with the constructor).
std::size_t workspace_values(const ModelConfig& config, std::size_t max_steps);

}  // namespace lrnn
