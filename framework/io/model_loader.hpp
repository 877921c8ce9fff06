#pragma once
// "Wherever a model is expected": an original-program model file, one of our checkpoints, a
// run directory (its newest complete checkpoint), or a safetensors file from lrnn export.

#include <string>

#include "data/tokenizer.hpp"
#include "model/model.hpp"

namespace lrnn {

struct LoadedModel {
    Parameters<float> params;
    Tokenizer tokenizer;
    std::string source;       // the file actually read
    std::string config_yaml;  // the run's resolved config (checkpoints); empty for seed and safetensors files
};

LoadedModel load_model(const std::string& path);

}  // namespace lrnn
