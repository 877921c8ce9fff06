#include "model/parameters.hpp"

#include <cassert>
#include <cmath>

#include "core/rng.hpp"

namespace lrnn {

ParameterLayout::ParameterLayout(const ModelConfig& config) : config_(config) {
    config_.validate();
    const std::size_t d = config.n_embd, r = config.decay_lora_rank, F = config.ffn_hidden(),
                      S = config.n_mem_slots, V = config.vocab_size;
    (void)r, (void)F, (void)S;
    auto add = [&](std::string name, std::size_t rows, std::size_t cols, InitSpec init, int layer) {
        tensors_.push_back(TensorSpec{std::move(name), rows, cols, init, layer, total_});
        total_ += rows * cols;
    };
#define LRNN_ADD_GLOBAL(name, rows, cols, init) add(#name, rows, cols, init, -1);
#define LRNN_ADD_LAYER(name, rows, cols, init) \
    add("layers." + std::to_string(l) + "." #name, rows, cols, init, l);
    LRNN_INPUT_PARAMS(LRNN_ADD_GLOBAL)
    for (int l = 0; l < config.n_layer; ++l) {
        LRNN_LAYER_PARAMS(LRNN_ADD_LAYER)
    }
    LRNN_OUTPUT_PARAMS(LRNN_ADD_GLOBAL)
#undef LRNN_ADD_GLOBAL
#undef LRNN_ADD_LAYER
}

const TensorSpec* ParameterLayout::find(const std::string& name) const {
    for (const auto& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

namespace {
template <typename Ptr, typename Base>
ModelView<Ptr> make_view_impl(const ParameterLayout& layout, Base base) {
    ModelView<Ptr> view{};
    view.layers.resize(layout.config().n_layer);
    auto it = layout.tensors().begin();
    // Walk the table in the same order it was built; each step checks the name it expects.
#define LRNN_BIND_GLOBAL(tensor, rows, cols, init) \
    assert(it->name == #tensor);                   \
    view.tensor = base + it->offset;               \
    ++it;
#define LRNN_BIND_LAYER(tensor, rows, cols, init) \
    view.layers[l].tensor = base + it->offset;    \
    ++it;
    LRNN_INPUT_PARAMS(LRNN_BIND_GLOBAL)
    for (int l = 0; l < layout.config().n_layer; ++l) {
        LRNN_LAYER_PARAMS(LRNN_BIND_LAYER)
    }
    LRNN_OUTPUT_PARAMS(LRNN_BIND_GLOBAL)
#undef LRNN_BIND_GLOBAL
#undef LRNN_BIND_LAYER
    assert(it == layout.tensors().end());
    return view;
}
}  // namespace

template <typename Real>
ModelView<Real*> make_view(const ParameterLayout& layout, Real* base) {
    return make_view_impl<Real*>(layout, base);
}
template <typename Real>
ModelView<const Real*> make_view(const ParameterLayout& layout, const Real* base) {
    return make_view_impl<const Real*>(layout, base);
}

template <typename Real>
void initialize_parameters(const ParameterLayout& layout, std::uint64_t seed, std::span<Real> out) {
    assert(out.size() == layout.total_size());
    const ModelConfig& c = layout.config();
    const double layer_scale = 0.02 / std::sqrt(double(c.n_layer));
    const int head_dim = c.head_dim();
    Rng rng(seed);
    for (const TensorSpec& t : layout.tensors()) {
        Real* p = out.data() + t.offset;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const int head = int(i) / head_dim;  // only meaningful for the per-channel vectors
            double value = 0;
            switch (t.init.kind) {
                case InitKind::Constant: value = t.init.a; break;
                case InitKind::Normal: value = t.init.a * rng.normal(); break;
                case InitKind::NormalLayerScaled: value = layer_scale * rng.normal(); break;
                case InitKind::Uniform: value = rng.uniform(t.init.a, t.init.b); break;
                case InitKind::DecayBase: value = 1.5 - 0.1 * t.layer - 0.2 * head; break;
                case InitKind::TimeFirst: value = -3.0 + 0.3 * t.layer + 0.5 * head; break;
            }
            p[i] = Real(value);
        }
    }
}

template ModelView<float*> make_view(const ParameterLayout&, float*);
template ModelView<double*> make_view(const ParameterLayout&, double*);
template ModelView<const float*> make_view(const ParameterLayout&, const float*);
template ModelView<const double*> make_view(const ParameterLayout&, const double*);
template void initialize_parameters(const ParameterLayout&, std::uint64_t, std::span<float>);
template void initialize_parameters(const ParameterLayout&, std::uint64_t, std::span<double>);

}  // namespace lrnn
