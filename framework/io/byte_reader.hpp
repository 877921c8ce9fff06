#pragma once
// Reads little-endian values from an in-memory file, checking every read against the bytes
// that remain. A malformed file becomes a UserError naming the file and the field, never a
// read past the end or an allocation from an untrusted size.

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace lrnn {

static_assert(std::endian::native == std::endian::little, "lrnn's file formats assume a little-endian host");

// Whole file into memory; UserError naming the path if it cannot be read.
std::vector<char> read_file_bytes(const std::string& path);

// The whole file as text, or nullopt if there is no regular file at `path`; UserError naming
// the path if it is there but cannot be read.
std::optional<std::string> read_text_if_present(const std::string& path);

// The bytes from `offset` to the end as the file is now ("" if it is missing or shorter): for
// following a file another process appends to (compare reads a child's metrics.jsonl).
std::string read_file_from(const std::string& path, std::uint64_t offset);

class ByteReader {
public:
    ByteReader(std::span<const char> bytes, std::string file)
        : data_(bytes.data()), size_(bytes.size()), file_(std::move(file)) {}

    std::size_t remaining() const { return size_ - pos_; }
    std::size_t position() const { return pos_; }
    const std::string& file() const { return file_; }

    [[noreturn]] void fail(const std::string& what) const {
        throw UserError(file_ + ": " + what + " (at byte " + std::to_string(pos_) + ")");
    }

    void need(std::size_t n, const std::string& field) const {
        if (n > remaining())
            fail("file ends early while reading " + field + " (needs " + std::to_string(n) +
                 " bytes, " + std::to_string(remaining()) + " left)");
    }

    template <typename T>
    T read(const std::string& field) {
        need(sizeof(T), field);
        T value;
        std::memcpy(&value, data_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return value;
    }

    void read_bytes(void* out, std::size_t n, const std::string& field) {
        need(n, field);
        if (n != 0) std::memcpy(out, data_ + pos_, n);  // an empty vector's data() may be null
        pos_ += n;
    }

    void skip(std::size_t n, const std::string& field) {
        need(n, field);
        pos_ += n;
    }

    // An int32 count that must lie in [lo, hi].
    std::int32_t read_count(const std::string& field, std::int64_t lo, std::int64_t hi) {
        const auto value = read<std::int32_t>(field);
        if (value < lo || value > hi)
            fail(field + " is " + std::to_string(value) + ", expected " + std::to_string(lo) +
                 ".." + std::to_string(hi));
        return value;
    }

private:
    const char* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::string file_;
};

}  // namespace lrnn
