#pragma once
// The arithmetic of the model's matrix products (train.precision, `--precision` of eval and
// generate). fp32: float inputs, float sums. bf16: each input of a product rounded to bfloat16
// (core/bf16.hpp, nearest-even, subnormals flushed to zero), the sums in float
// (core/gemm_bf16.hpp). bf16_amx: the same rounding, the sums of Intel's AMX tiles, which only
// AMX CPUs compute (core/gemm_bf16.hpp says how they differ). Everything else (master weights, gradients, optimizer state, layer
// norms, the slot-memory recurrence, the loss, every elementwise op) is float in both; the
// exact list is in docs/kernels.md.

#include <string>
#include <string_view>

namespace lrnn {

enum class Precision { Fp32, Bf16, Bf16Amx };

// Whether the products round their inputs to bfloat16 (bf16 and bf16_amx).
constexpr bool rounds_to_bf16(Precision precision) { return precision != Precision::Fp32; }

// "fp32", "bf16" or "bf16_amx": the spelling of the config key and the command-line option.
std::string precision_name(Precision precision);

// The inverse of precision_name; UserError naming `what` (the key or option) and the value
// otherwise.
Precision parse_precision(std::string_view text, std::string_view what);

}  // namespace lrnn
