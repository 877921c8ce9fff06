#pragma once
// NumPy .npy files (format version 1.0), float32, little-endian, C order.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace lrnn {

// Writes data with the given shape to path (via a temporary file and rename).
void write_npy(const std::string& path, std::span<const float> data,
               const std::vector<std::size_t>& shape);

struct NpyArray {
    std::vector<std::size_t> shape;
    std::vector<float> data;
};

// Reads a float32 little-endian C-order .npy file; UserError on anything else.
NpyArray read_npy(const std::string& path);

// The same from the file's bytes in memory; `name` stands for the file in messages.
NpyArray parse_npy(std::span<const char> bytes, const std::string& name);

}  // namespace lrnn
