#pragma once
// The lrnn model core: forward over a chunk (or one step), the training objective, and the
// exact backward pass (model-spec.md sections 4-7). Knows nothing of files, YAML or threads.

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/token_id.hpp"
#include "model/parameters.hpp"
#include "model/state.hpp"
#include "model/workspace.hpp"

namespace lrnn {

// A full parameter set: the layout and one flat buffer of values.
template <typename Real>
struct Parameters {
    explicit Parameters(const ModelConfig& config)
        : layout(config), values(layout.total_size(), Real(0)) {}

    ParameterLayout layout;
    std::vector<Real> values;

    const ModelConfig& config() const { return layout.config(); }
    ModelView<const Real*> view() const { return make_view(layout, std::as_const(values).data()); }
    ModelView<Real*> mutable_view() { return make_view(layout, values.data()); }
};

// Runs tokens (T <= ws.max_steps) through the model and leaves the logits (T, V) in ws.logits.
// With state == nullptr the chunk starts from the zero state (training); otherwise it starts
// from *state and leaves the state after the last token there (generation: T = 1 per step).
template <typename Real>
void model_forward(const ModelView<const Real*>& params, std::span<const TokenId> tokens,
                   Workspace<Real>& ws, RecurrentState<Real>* state = nullptr);

struct LossSums {
    double optimized = 0;  // sum over positions of the cross-entropy with label smoothing
    double plain = 0;      // sum over positions of the plain cross-entropy
    std::size_t count = 0; // positions
};

// The loss of ws.logits against targets (T), and ws.dlogits = grad_scale * d(optimized)/d logits.
// grad_scale is 1 / (targets in the whole step), so summed chunk gradients are the mean's.
template <typename Real>
LossSums model_loss(Workspace<Real>& ws, std::span<const TokenId> targets, double label_smoothing,
                    double grad_scale);

// Backward from ws.dlogits through the chunk last run by model_forward (zero initial state
// or not); parameter gradients accumulate into grad.
template <typename Real>
void model_backward(const ModelView<const Real*>& params, std::span<const TokenId> tokens,
                    Workspace<Real>& ws, const ModelView<Real*>& grad);

// Matrix-product FLOPs of one forward + backward over T tokens (2 per multiply-add).
double training_matmul_flops(const ModelConfig& config, std::size_t T);

}  // namespace lrnn
