#pragma once
// Everything one forward/backward over a chunk of up to max_steps tokens needs, allocated once.
// One Workspace per worker thread: the model core itself holds no mutable state, so many
// threads may run chunks at once over shared, read-only parameters.
//
// Every buffer is one line of the tables below: name, rows, cols. From them follow the one
// allocation the buffers are carved from, the named spans the model code uses, and
// workspace_values(), the size the trainer checks against memory before it allocates — so the
// count and the buffers cannot drift apart. A new buffer is one line here (as for parameters,
// model/parameters.hpp).

#include <cstddef>
#include <span>
#include <vector>

#include "core/precision.hpp"
#include "model/config.hpp"

namespace lrnn {

class Bf16Weights;
class PackedWeights;

// The slot-memory scan over T steps stores its state N_t, D_t only every kScanSegment steps:
// slot c of num_state/den_state holds the state before step c * kScanSegment, and slot
// scan_final_slot(T) the final state N_T (model/layers.hpp says how the backward pass gets the
// states in between).
inline constexpr std::size_t kScanSegment = 16;
constexpr std::size_t scan_final_slot(std::size_t T) { return (T + kScanSegment - 1) / kScanSegment; }
constexpr std::size_t scan_slots(std::size_t T) { return scan_final_slot(T) + 1; }

// X(name, rows, cols): shapes use T (max_steps, the chunk length), d, r (decay LoRA rank),
// F (FFN width), S (memory slots), V (vocabulary).

// What the forward pass keeps of one layer for the backward pass.
#define LRNN_LAYER_CACHE_BUFFERS(X)                                                            \
    /* time mix */                                                                             \
    X(h_in, T, d)                /* residual stream entering the layer */                     \
    X(ln1_mean, T, 1)                                                                          \
    X(ln1_rstd, T, 1)                                                                          \
    X(u, T + 4, d)               /* ln1 output; rows 0..3 = history u_{-4}..u_{-1} */         \
    X(shifted, T, d)             /* multi-scale shift sh_t */                                 \
    X(xr, T, d)                  /* mixed inputs of the r, k, v projections */                \
    X(xk, T, d)                                                                                \
    X(xv, T, d)                                                                                \
    X(r, T, d)                   /* sigmoid(xr @ Wr) */                                       \
    X(k_pre, T, d)               /* xk @ Wk */                                                \
    X(k, T, d)                   /* clampexp(k_pre) */                                        \
    X(v, T, d)                                                                                 \
    X(lora_mid, T, r)            /* u @ decay_lora_a */                                       \
    X(decay, T, d)               /* w_t */                                                    \
    X(write_gate, T, S)          /* wg_t */                                                   \
    X(read_gate, T, S)           /* rg_t */                                                   \
    X(num_state, scan_slots(T) * S, d) /* N_t at the scan's checkpoints (layers.hpp), (S, d) each */ \
    X(den_state, scan_slots(T) * S, d) /* D_t */                                              \
    X(wkv_den, T, d)             /* RD + beta k + eps */                                      \
    X(wkv, T, d)                                                                               \
    X(gated, T, d)               /* r * wkv, the input of Wo */                               \
    /* channel mix */                                                                          \
    X(h_mid, T, d)               /* residual stream entering the channel mix */               \
    X(ln2_mean, T, 1)                                                                          \
    X(ln2_rstd, T, 1)                                                                          \
    X(z, T + 1, d)               /* ln2 output; row 0 = z_{-1} */                             \
    X(xm, T, d)                                                                                \
    X(gate_pre, T, F)            /* xm @ ffn_gate */                                          \
    X(up, T, F)                  /* xm @ ffn_up */                                            \
    X(act, T, F)                 /* silu(gate_pre) * up */

// The forward pass outside the layers (before the layer caches).
#define LRNN_FORWARD_BUFFERS(X)                                                                \
    X(alibi_decay, d, 1)         /* a_h of each channel's head, fixed */                      \
    X(bonus, d, 1)               /* beta = clampexp(time_first), per layer in turn */         \
    X(embedded, T, d)            /* emb[x_t] */                                               \
    X(ln0_mean, T, 1)                                                                          \
    X(ln0_rstd, T, 1)                                                                          \
    X(h, T, d)                   /* the residual stream */                                    \
    X(segment_num, (kScanSegment - 1) * S, d) /* N_t, D_t inside one segment of the scan */    \
    X(segment_den, (kScanSegment - 1) * S, d) /* (layers.hpp), row t - t0 - 1 for t0 < t */   \
    X(ln_out_mean, T, 1)                                                                       \
    X(ln_out_rstd, T, 1)                                                                       \
    X(ln_out, T, d)                                                                            \
    X(logits, T, V)

// Backward scratch (after the layer caches).
#define LRNN_BACKWARD_BUFFERS(X)                                                               \
    X(dlogits, T, V)                                                                           \
    X(dh, T, d)                  /* gradient of the residual stream */                        \
    X(d_ln_out, T, d)                                                                          \
    X(du, T + 4, d)                                                                            \
    X(dxr, T, d)                                                                               \
    X(dxk, T, d)                                                                               \
    X(dxv, T, d)                                                                               \
    X(dr_pre, T, d)                                                                            \
    X(dk, T, d)                                                                                \
    X(dv, T, d)                                                                                \
    X(ddecay, T, d)                                                                            \
    X(dwkv, T, d)                                                                              \
    X(dgated, T, d)                                                                            \
    X(dlora_mid, T, r)                                                                         \
    X(dwrite_gate, T, S)                                                                       \
    X(dread_gate, T, S)                                                                        \
    X(dgate_logits, T, S)                                                                      \
    X(dnum, S, d)                /* gradient of N_{t+1}, D_{t+1} in the reverse scan */       \
    X(dden, S, d)                                                                              \
    X(dbonus, d, 1)                                                                            \
    X(scratch_d, d, 1)           /* scan temporaries */                                       \
    X(scratch_d2, d, 1)                                                                        \
    X(dact, T, F)                                                                              \
    X(dgate_pre, T, F)                                                                         \
    X(dup, T, F)                                                                               \
    X(dxm, T, d)                                                                               \
    X(dz, T + 1, d)

// Each buffer starts at a multiple of this many values from the start of the allocation.
inline constexpr std::size_t kWorkspaceAlignment = 16;

#define LRNN_DECLARE_BUFFER(name, rows, cols) std::span<Real> name;

// What the forward pass keeps of one layer for the backward pass: spans into the Workspace's
// one allocation, shapes in LRNN_LAYER_CACHE_BUFFERS.
template <typename Real>
struct LayerCache {
    LRNN_LAYER_CACHE_BUFFERS(LRNN_DECLARE_BUFFER)
};

template <typename Real>
struct Workspace {
    // precision: the arithmetic of every matrix product run with this workspace. Bf16 on a CPU
    // that can run no bf16 kernel is a UserError here (core/gemm_bf16.hpp), before any work.
    Workspace(const ModelConfig& config, std::size_t max_steps,
              Precision precision = Precision::Fp32);
    // The spans point into storage_: a copy would share (and outlive) the original's buffers.
    // A move keeps them valid (the vector's allocation moves with it).
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;
    Workspace(Workspace&&) = default;
    Workspace& operator=(Workspace&&) = default;

    ModelConfig config;
    std::size_t max_steps;
    std::size_t steps = 0;          // T of the chunk currently held
    Precision precision;            // of the products (model/forward_product.hpp)

    // Generation with --weights bf16: one-token forward steps (T = 1) multiply by these bf16
    // copies of the weights instead of the float ones (model/forward_product.hpp). Null for
    // training, evaluation and float generation; never used in double precision.
    const Bf16Weights* bf16_weights = nullptr;
    // The weight matrices rounded and packed already for a bf16 precision
    // (model/packed_weights.hpp): the products of a chunk multiply by them, the same bits
    // without packing them per product. Set by a bf16 training step (forward and backward) and
    // by bf16 generation (forward); null otherwise.
    const PackedWeights* packed_weights = nullptr;

    LRNN_FORWARD_BUFFERS(LRNN_DECLARE_BUFFER)
    std::vector<LayerCache<Real>> layers;
    LRNN_BACKWARD_BUFFERS(LRNN_DECLARE_BUFFER)

private:
    // Every buffer above, each starting a multiple of kWorkspaceAlignment values after the
    // first: as aligned as a vector of its own would be, whatever the sizes before it.
    std::vector<Real> storage_;
};

#undef LRNN_DECLARE_BUFFER

// The number of values (floats or doubles) a Workspace(config, max_steps) allocates, computed
// without allocating: the trainer checks that a model fits in memory before it starts.
std::size_t workspace_values(const ModelConfig& config, std::size_t max_steps);

}  // namespace lrnn
