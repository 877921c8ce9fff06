#pragma once
// model.auto fills in only the model keys a config does not give (config/train_config.hpp);
// these are the ones it gives that differ from what the table chose, so that lrnn train (one
// line) and its dry run can say that the explicit keys won.

#include <string>
#include <vector>

#include "config/train_config.hpp"

namespace lrnn {

// "model.n_embd 64 (auto: 128)" for each explicit model key whose value differs from `table`
// (auto_model_config's choice), in schema order; empty when model.auto is off.
std::vector<std::string> keys_overriding_auto(const TrainConfig& config, const ModelConfig& table);

}  // namespace lrnn
