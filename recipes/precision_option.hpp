#pragma once
// `--precision fp32|bf16` of lrnn eval and lrnn generate: the arithmetic of the model's matrix
// products (core/precision.hpp). Default: the precision the model was trained with, as its run
// recorded it (train.precision of a checkpoint's config); fp32 for a seed model or a
// safetensors export, which record none.

#include <optional>
#include <string>

#include "core/precision.hpp"
#include "io/model_loader.hpp"

namespace lrnn::recipes {

// The help line of the option.
inline constexpr const char* kPrecisionHelp =
    "fp32 | bf16: the matrix products' arithmetic (bf16 inputs, float sums); default: the "
    "precision the model was trained with";

Precision chosen_precision(const LoadedModel& model, const std::optional<std::string>& flag);

}  // namespace lrnn::recipes
