#pragma once
// The original (seed) program's model file, magic lrnnC01 / lrnnC02 (model-spec.md section 10).

#include <span>
#include <string>

#include "data/tokenizer.hpp"
#include "model/model.hpp"

namespace lrnn {

struct ImportedModel {
    Parameters<float> params;
    Tokenizer tokenizer;
};

// True if the file starts with a seed model magic.
bool is_seed_model_file(const std::string& path);

// Reads and validates the whole file; UserError naming the file and the field or tensor.
ImportedModel read_seed_model(const std::string& path);

// The same from the file's bytes in memory; `name` stands for the file in messages.
ImportedModel parse_seed_model(std::span<const char> bytes, const std::string& name);

}  // namespace lrnn
