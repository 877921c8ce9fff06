#pragma once
// The two blocks of one layer (model-spec.md 4.2 and 4.3), forward and backward.
//
// Forward reads and updates the residual stream ws.h (T, d) in place and fills `cache`.
// The caller puts the recurrent state into the cache's history rows first (u rows 0..3,
// num_state/den_state row 0, z row 0) and reads the final state from the last rows after.
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
