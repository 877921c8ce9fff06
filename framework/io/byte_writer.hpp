#pragma once
// Builds a file in memory from little-endian values: the writing half of io/byte_reader.hpp.
// Every binary format (checkpoint, state file, .npy) is written through it; the bytes then go
// to disk in one piece (io/atomic_file.hpp).

#include <bit>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace lrnn {

// The formats are little-endian and written by copying native values.
static_assert(std::endian::native == std::endian::little, "lrnn's file formats assume a little-endian host");

class ByteWriter {
public:
    template <typename T>
    void put(T value) {
        static_assert(std::is_arithmetic_v<T>, "put() writes numbers; use put_bytes for anything else");
        char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        bytes_.append(bytes, sizeof(T));
    }

    void put_bytes(const void* data, std::size_t n) { bytes_.append(static_cast<const char*>(data), n); }
    void put_bytes(std::string_view text) { bytes_.append(text); }
    void put_floats(std::span<const float> values) { put_bytes(values.data(), values.size_bytes()); }

    void reserve(std::size_t n) { bytes_.reserve(n); }
    std::size_t size() const { return bytes_.size(); }
    const std::string& bytes() const { return bytes_; }
    std::string take() && { return std::move(bytes_); }

private:
    std::string bytes_;
};

}  // namespace lrnn
