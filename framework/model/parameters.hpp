#pragma once
// The parameter set, described once (model-spec.md section 2).
//
// Every tensor is one line of LRNN_GLOBAL_PARAMS / LRNN_LAYER_PARAMS: name, shape, init.
// From that table follow the layout of the one contiguous buffer that holds all parameters
// (and, with the same layout, gradients and Adam moments), initialisation, the named views
// the model code uses, file I/O and gradient dumps. A new parameter is one line here.
//
// The order is the order of the original program's model file (spec section 10).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/config.hpp"

namespace lrnn {

enum class InitKind {
    Constant,          // a
    Normal,            // N(0, a^2)
    NormalLayerScaled, // N(0, (0.02 / sqrt(n_layer))^2)
    Uniform,           // U(a, b)
    DecayBase,         // 1.5 - 0.1 l - 0.2 h for channel c of head h
    TimeFirst,         // -3 + 0.3 l + 0.5 h
};

struct InitSpec {
    InitKind kind;
    double a = 0;
    double b = 0;
};

// X(name, rows, cols, init): shapes use the local sizes d, r, F, S, V of the config.
#define LRNN_LAYER_PARAMS(X)                                          \
    X(ln1_weight, d, 1, (InitSpec{InitKind::Constant, 1}))           \
    X(ln1_bias, d, 1, (InitSpec{InitKind::Constant, 0}))             \
    X(ln2_weight, d, 1, (InitSpec{InitKind::Constant, 1}))           \
    X(ln2_bias, d, 1, (InitSpec{InitKind::Constant, 0}))             \
    X(time_shift_w1, d, 1, (InitSpec{InitKind::Uniform, 0.3, 0.7}))  \
    X(time_shift_w2, d, 1, (InitSpec{InitKind::Uniform, 0.1, 0.3}))  \
    X(time_shift_w4, d, 1, (InitSpec{InitKind::Uniform, 0.0, 0.2}))  \
    X(time_mix_r, d, 1, (InitSpec{InitKind::Constant, 0.5}))         \
    X(time_mix_k, d, 1, (InitSpec{InitKind::Constant, 0.5}))         \
    X(time_mix_v, d, 1, (InitSpec{InitKind::Constant, 0.5}))         \
    X(decay_lora_a, d, r, (InitSpec{InitKind::Normal, 0.01}))        \
    X(decay_lora_b, r, d, (InitSpec{InitKind::Normal, 0.01}))        \
    X(decay_base, d, 1, (InitSpec{InitKind::DecayBase}))             \
    X(time_first, d, 1, (InitSpec{InitKind::TimeFirst}))             \
    X(Wr, d, d, (InitSpec{InitKind::NormalLayerScaled}))             \
    X(Wk, d, d, (InitSpec{InitKind::NormalLayerScaled}))             \
    X(Wv, d, d, (InitSpec{InitKind::NormalLayerScaled}))             \
    X(Wo, d, d, (InitSpec{InitKind::NormalLayerScaled}))             \
    X(channel_mix, d, 1, (InitSpec{InitKind::Constant, 0.5}))        \
    X(ffn_gate, d, F, (InitSpec{InitKind::NormalLayerScaled}))       \
    X(ffn_up, d, F, (InitSpec{InitKind::NormalLayerScaled}))         \
    X(ffn_down, F, d, (InitSpec{InitKind::NormalLayerScaled}))       \
    X(mem_gate_write, d, S, (InitSpec{InitKind::Normal, 0.01}))      \
    X(mem_gate_read, d, S, (InitSpec{InitKind::Normal, 0.01}))

// Global tensors before the layers, and after them.
#define LRNN_INPUT_PARAMS(X)                                  \
    X(emb, V, d, (InitSpec{InitKind::Normal, 0.02}))          \
    X(ln0_weight, d, 1, (InitSpec{InitKind::Constant, 1}))   \
    X(ln0_bias, d, 1, (InitSpec{InitKind::Constant, 0}))
#define LRNN_OUTPUT_PARAMS(X)                                   \
    X(ln_out_weight, d, 1, (InitSpec{InitKind::Constant, 1}))  \
    X(ln_out_bias, d, 1, (InitSpec{InitKind::Constant, 0}))    \
    X(head, d, V, (InitSpec{InitKind::Normal, 0.02}))

struct TensorSpec {
    std::string name;  // "emb", "layers.0.Wr", ...
    std::size_t rows;
    std::size_t cols;
    InitSpec init;
    int layer;          // -1 for global tensors
    std::size_t offset; // into the flat buffer
    std::size_t size() const { return rows * cols; }
    bool is_vector() const { return cols == 1; }
};

// Where every tensor lives in the flat buffer.
class ParameterLayout {
public:
    explicit ParameterLayout(const ModelConfig& config);

    const ModelConfig& config() const { return config_; }
    const std::vector<TensorSpec>& tensors() const { return tensors_; }
    std::size_t total_size() const { return total_; }
    // nullptr if there is no tensor of that name.
    const TensorSpec* find(const std::string& name) const;

private:
    ModelConfig config_;
    std::vector<TensorSpec> tensors_;
    std::size_t total_ = 0;
};

// Named pointers into a flat buffer laid out by ParameterLayout. The same view type serves
// parameters and gradients (const or not via Ptr).
template <typename Ptr>
struct LayerView {
#define LRNN_DECLARE_MEMBER(name, rows, cols, init) Ptr name;
    LRNN_LAYER_PARAMS(LRNN_DECLARE_MEMBER)
};

template <typename Ptr>
struct ModelView {
    LRNN_INPUT_PARAMS(LRNN_DECLARE_MEMBER)
    LRNN_OUTPUT_PARAMS(LRNN_DECLARE_MEMBER)
#undef LRNN_DECLARE_MEMBER
    std::vector<LayerView<Ptr>> layers;
};

template <typename Real>
ModelView<Real*> make_view(const ParameterLayout& layout, Real* base);
template <typename Real>
ModelView<const Real*> make_view(const ParameterLayout& layout, const Real* base);

// Section 2's initialisation, drawing from one generator seeded with `seed`, tensor by tensor
// in layout order.
template <typename Real>
void initialize_parameters(const ParameterLayout& layout, std::uint64_t seed, std::span<Real> out);

}  // namespace lrnn
