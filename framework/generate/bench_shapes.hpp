#pragma once
// Random-initialised models of fixed shapes for measuring generation speed
// (`lrnn generate --bench-shape small|medium`, docs/benchmarks-generate.md). Speed depends on
// the shape, not on the weights' values, so no trained model is needed to measure it.

#include <string>

#include "io/model_loader.hpp"

namespace lrnn {

// "small": 4 layers, n_embd 128, n_head 4, ctx 128; "medium": 6 layers, n_embd 256, n_head 8,
// ctx 256; both rank 2, ffn_multiplier 2.0, 4 slots, the 65-character vocabulary of
// tinyshakespeare. Parameters by model-spec.md section 2 from a fixed seed. UserError for other names.
LoadedModel benchmark_model(const std::string& shape);

}  // namespace lrnn
