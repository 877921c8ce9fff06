#pragma once
// Model weights as a safetensors file, the interchange format most tools read
// (docs/formats.md): an 8-byte little-endian header length N, N bytes of JSON, then the raw
// little-endian tensor data. The JSON maps each tensor name to {"dtype", "shape",
// "data_offsets": [begin, end]} (offsets into the data that follows the header) and holds a
// "__metadata__" object of strings.
//
// lrnn writes every tensor of the parameter table (model/parameters.hpp) under its table name
// ("emb", "layers.3.Wk", ...) as F32, matrices with shape [rows, cols], vectors with shape
// [rows]; the metadata holds "format": "lrnn", the eight model config fields (as decimal
// strings, the form safetensors allows) and "tokenizer" (io/tokenizer_json.hpp as JSON text).
// The reader checks every size before it is used: the header length against the file, the
// JSON, every entry's dtype and shape, offsets inside the data and not overlapping, and the
// set of tensors and their shapes against the model config.

#include <span>
#include <string>

#include "data/tokenizer.hpp"
#include "model/model.hpp"

namespace lrnn {

struct SafetensorsModel {
    Parameters<float> params;
    Tokenizer tokenizer;
};

// The file's bytes. UserError (starting with `what`) for a tokenizer with no JSON form.
std::string encode_safetensors(const Parameters<float>& params, const Tokenizer& tokenizer,
                               const std::string& what);

// Written atomically (io/atomic_file.hpp).
void write_safetensors(const std::string& path, const Parameters<float>& params,
                       const Tokenizer& tokenizer);

// Reads and validates a file written as above; UserError naming the file and the problem.
SafetensorsModel read_safetensors(const std::string& path);

// The same from the file's bytes in memory; `name` stands for the file in messages.
SafetensorsModel parse_safetensors(std::span<const char> bytes, const std::string& name);

// True if the file looks like safetensors: at least 9 bytes, a header length that fits in the
// file, and a header that starts with '{'. (The format has no magic number.)
bool is_safetensors_file(const std::string& path);

}  // namespace lrnn
