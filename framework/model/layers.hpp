#pragma once
// The two blocks of one layer (model-spec.md 4.2 and 4.3), forward and backward.
//
// Forward reads and updates the residual stream ws.h (T, d) in place and fills `cache`.
// The caller puts the recurrent state into the cache's history rows first (u rows 0..3,
// num_state/den_state slot 0, z row 0) and reads the final state after: the last rows of u
// and z, and slot scan_final_slot(T) of num_state/den_state.
//
// The scan's states: a chunk's N_t, D_t would be (T + 1) x S x d values each per layer,
// written once by the forward pass and read once by the backward pass, too many to stay in
// cache. So the forward pass keeps them only at the start of each segment of kScanSegment
// steps (model/workspace.hpp), and the backward pass, a segment at a time from the last,
// first recomputes the states inside the segment from its first one into ws.segment_num/den:
// the same operations on the same values, so the same bits.
// Backward reads ws.dh (T, d), the gradient of the stream after the block, turns it into the
// gradient before the block, and accumulates parameter gradients into `grad`.

#include <cstddef>

#include "model/parameters.hpp"
#include "model/workspace.hpp"

namespace lrnn {

template <typename Real>
void time_mix_forward(const LayerView<const Real*>& p, LayerCache<Real>& cache,
                      Workspace<Real>& ws, std::size_t T);

template <typename Real>
void time_mix_backward(const LayerView<const Real*>& p, const LayerCache<Real>& cache,
                       Workspace<Real>& ws, const LayerView<Real*>& grad, std::size_t T);

template <typename Real>
void channel_mix_forward(const LayerView<const Real*>& p, LayerCache<Real>& cache,
                         Workspace<Real>& ws, std::size_t T);

template <typename Real>
void channel_mix_backward(const LayerView<const Real*>& p, const LayerCache<Real>& cache,
                          Workspace<Real>& ws, const LayerView<Real*>& grad, std::size_t T);

// Matrix-product FLOPs of one layer's forward over T steps (backward is twice that).
double layer_forward_matmul_flops(const ModelConfig& config, std::size_t T);

}  // namespace lrnn
