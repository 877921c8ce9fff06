#pragma once
// The recurrent state of one sequence (model-spec.md section 5): per layer the last four ln1
// outputs u, the previous ln2 output z, and the slot accumulators N, D of shape (S, d).
// Fixed size, (5 + 2S) d floats per layer, whatever the length of the text.

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "model/config.hpp"

namespace lrnn {

template <typename Real>
class RecurrentState {
public:
    explicit RecurrentState(const ModelConfig& config)
        : d_(config.n_embd),
          slots_(config.n_mem_slots),
          per_layer_((5 + 2 * slots_) * d_),
          data_(per_layer_ * config.n_layer, Real(0)) {}

    void reset() { std::fill(data_.begin(), data_.end(), Real(0)); }

    // (4, d): rows u_{t-4}, u_{t-3}, u_{t-2}, u_{t-1}.
    Real* u_history(int layer) { return layer_base(layer); }
    // (d): z_{t-1}.
    Real* z_previous(int layer) { return layer_base(layer) + 4 * d_; }
    // (S, d) each.
    Real* numerator(int layer) { return layer_base(layer) + 5 * d_; }
    Real* denominator(int layer) { return layer_base(layer) + (5 + slots_) * d_; }

    std::span<Real> flat() { return data_; }
    std::span<const Real> flat() const { return data_; }

private:
    Real* layer_base(int layer) { return data_.data() + std::size_t(layer) * per_layer_; }

    std::size_t d_;
    std::size_t slots_;
    std::size_t per_layer_;
    std::vector<Real> data_;
};

}  // namespace lrnn
