#include "model/workspace.hpp"

#include <cassert>
#include <cmath>
#include <type_traits>

#include "core/gemm_bf16.hpp"

namespace lrnn {

namespace {

// The local size names of the buffer tables (model/workspace.hpp).
struct BufferSizes {
    std::size_t T, d, r, F, S, V;
    BufferSizes(const ModelConfig& c, std::size_t max_steps)
        : T(max_steps), d(c.n_embd), r(c.decay_lora_rank), F(c.ffn_hidden()), S(c.n_mem_slots),
          V(c.vocab_size) {}
};

// A buffer of n values takes n rounded up to the alignment.
std::size_t padded(std::size_t n) {
    return (n + kWorkspaceAlignment - 1) / kWorkspaceAlignment * kWorkspaceAlignment;
}

}  // namespace

std::size_t workspace_values(const ModelConfig& c, std::size_t max_steps) {
    const auto [T, d, r, F, S, V] = BufferSizes(c, max_steps);
    (void)T, (void)d, (void)r, (void)F, (void)S, (void)V;
    std::size_t global = 0, per_layer = 0;
#define LRNN_COUNT_GLOBAL(name, rows, cols) global += padded(std::size_t(rows) * std::size_t(cols));
#define LRNN_COUNT_LAYER(name, rows, cols) per_layer += padded(std::size_t(rows) * std::size_t(cols));
    LRNN_FORWARD_BUFFERS(LRNN_COUNT_GLOBAL)
    LRNN_LAYER_CACHE_BUFFERS(LRNN_COUNT_LAYER)
    LRNN_BACKWARD_BUFFERS(LRNN_COUNT_GLOBAL)
#undef LRNN_COUNT_GLOBAL
#undef LRNN_COUNT_LAYER
    return global + std::size_t(c.n_layer) * per_layer;
}

template <typename Real>
Workspace<Real>::Workspace(const ModelConfig& c, std::size_t max_T, Precision p)
    : config(c), max_steps(max_T), precision(p), layers(c.n_layer),
      storage_(workspace_values(c, max_T)) {
    if (std::is_same_v<Real, float> && rounds_to_bf16(p)) (void)bf16_gemm_path_for(p);
    const auto [T, d, r, F, S, V] = BufferSizes(c, max_T);
    (void)T, (void)d, (void)r, (void)F, (void)S, (void)V;
    // Carved in the order workspace_values() counts them: forward, the layers, backward.
    std::size_t offset = 0;
    const auto carve = [&](std::size_t n) {
        const std::span<Real> buffer(storage_.data() + offset, n);
        offset += padded(n);
        return buffer;
    };
#define LRNN_CARVE_GLOBAL(name, rows, cols) name = carve(std::size_t(rows) * std::size_t(cols));
#define LRNN_CARVE_LAYER(name, rows, cols) L.name = carve(std::size_t(rows) * std::size_t(cols));
    LRNN_FORWARD_BUFFERS(LRNN_CARVE_GLOBAL)
    for (LayerCache<Real>& L : layers) {
        LRNN_LAYER_CACHE_BUFFERS(LRNN_CARVE_LAYER)
    }
    LRNN_BACKWARD_BUFFERS(LRNN_CARVE_GLOBAL)
#undef LRNN_CARVE_GLOBAL
#undef LRNN_CARVE_LAYER
    assert(offset == storage_.size());

    for (std::size_t ch = 0; ch < d; ++ch) {
        const int head = int(ch) / c.head_dim();
        const double slope = std::pow(2.0, -8.0 * (head + 1) / c.n_head);
        alibi_decay[ch] = Real(std::exp(-slope));
    }
}

template struct Workspace<float>;
template struct Workspace<double>;

}  // namespace lrnn
