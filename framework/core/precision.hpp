#pragma once
// The arithmetic of the model's matrix products (train.precision, `--precision` of eval and
// generate). fp32: float inputs, float sums. bf16: each input of a product rounded to bfloat16
// (core/bf16.hpp, nearest-even, subnormals flushed to zero), the sums in float
// (core/gemm_bf16.hpp). Everything else (master weights, gradients, optimizer state, layer
// norms, the slot-memory recurrence, the loss, every elementwise op) is float in both; the
// exact list is in docs/kernels.md.

#include <string>
#include <string_view>

namespace lrnn {

enum class Precision { Fp32, Bf16 };

// "fp32" or "bf16": the spelling of the config key and the command-line option.
std::string precision_name(Precision precision);

// The inverse of precision_name; UserError naming `what` (the key or option) and the value
// otherwise.
Precision parse_precision(std::string_view text, std::string_view what);

}  // namespace lrnn
