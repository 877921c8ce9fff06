#include "model/packed_weights.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

#include "core/gemm_narrow.hpp"

namespace lrnn {

namespace {

// W (rows, cols) as b of x @ W, and W^T (cols, rows) as b of dy @ W^T: the operands
// core/gemm.cpp passes to the products for them.
MatrixOperand forward_operand(const float* w, std::size_t cols) { return {w, cols, 1}; }
MatrixOperand backward_operand(const float* w, std::size_t cols) { return {w, 1, cols}; }

// Every matrix but the embedding table, which is looked up, never multiplied.
bool multiplied(const TensorSpec& t) { return !t.is_vector() && t.name != "emb"; }

}  // namespace

double packed_weight_values(const ParameterLayout& layout, Precision precision) {
    if (!rounds_to_bf16(precision)) return 0;
    double values = 0;
    for (const TensorSpec& t : layout.tensors())
        if (multiplied(t)) values += 2.0 * double(t.size());
    return values;
}

PackedWeights::PackedWeights(const Parameters<float>& params, Precision precision,
                             PackedOrientations orientations,
                             std::optional<Bf16GemmPath> bf16_path)
    : precision_(precision), source_(params.values.data()) {
    if (!rounds_to_bf16(precision))
        throw std::invalid_argument("PackedWeights: fp32 products pack their own operands");
    const Bf16GemmPath path = bf16_path ? *bf16_path : bf16_gemm_path_for(precision);
    const bool backward = orientations == PackedOrientations::ForwardAndBackward;
    for (const TensorSpec& t : params.layout.tensors()) {
        if (!multiplied(t)) continue;
        const bool forward_tiled = t.cols > kNarrowSide, backward_tiled = backward && t.rows > kNarrowSide;
        if (!forward_tiled && !backward_tiled) continue;
        const float* w = params.values.data() + t.offset;
        Matrix& m = matrices_.emplace_back(Matrix{w, t.rows, t.cols, {}, {}});
        if (forward_tiled) m.forward.emplace(path, t.rows, t.cols, forward_operand(w, t.cols));
        if (backward_tiled) m.backward.emplace(path, t.cols, t.rows, backward_operand(w, t.cols));
    }
}

void PackedWeights::repack(std::size_t i) {
    Matrix& m = matrices_.at(i);
    if (m.forward) m.forward->repack(forward_operand(m.weights, m.cols));
    if (m.backward) m.backward->repack(backward_operand(m.weights, m.cols));
}

void PackedWeights::repack() {
    for (std::size_t i = 0; i < matrices_.size(); ++i) repack(i);
}

const PackedWeights::Matrix* PackedWeights::find(const float* weights) const {
    // std::less: a total order even for pointers into other arrays.
    const auto at = std::lower_bound(
        matrices_.begin(), matrices_.end(), weights,
        [](const Matrix& m, const float* w) { return std::less<const float*>()(m.weights, w); });
    if (at == matrices_.end() || at->weights != weights) return nullptr;
    return &*at;
}

}  // namespace lrnn
