#include "io/npy.hpp"

#include <charconv>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/byte_writer.hpp"

namespace lrnn {

void write_npy(const std::string& path, std::span<const float> data,
               const std::vector<std::size_t>& shape) {
    std::ostringstream dict;
    dict << "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) dict << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
    dict << "), }";
    std::string header = dict.str();
    // magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    ByteWriter bytes;
    bytes.put_bytes("\x93NUMPY\x01\x00", 8);
    bytes.put<std::uint16_t>(static_cast<std::uint16_t>(header.size()));
    bytes.put_bytes(header);
    bytes.put_floats(data);
    write_file_atomically(path, bytes.bytes());
}

NpyArray read_npy(const std::string& path) { return parse_npy(read_file_bytes(path), path); }

NpyArray parse_npy(std::span<const char> bytes, const std::string& name) {
    ByteReader in(bytes, name);
    char magic[8];
    in.read_bytes(magic, 8, "npy magic");
    if (std::memcmp(magic, "\x93NUMPY\x01\x00", 8) != 0) in.fail("not a version 1.0 .npy file");
    const auto len = in.read<std::uint16_t>("npy header length");
    std::string header(len, '\0');
    in.read_bytes(header.data(), len, "npy header");
    if (header.find("'<f4'") == std::string::npos || header.find("False") == std::string::npos)
        in.fail("only little-endian float32 C-order arrays are supported");
    NpyArray out;
    const auto open = header.find('('), close = header.find(')');
    if (open == std::string::npos || close == std::string::npos) in.fail("npy header has no shape");
    std::istringstream shape(header.substr(open + 1, close - open - 1));
    std::size_t count = 1;
    const std::size_t floats_left = in.remaining() / sizeof(float);
    for (std::string item; std::getline(shape, item, ',');) {
        const auto first = item.find_first_not_of(' ');
        if (first == std::string::npos) continue;
        const auto last = item.find_last_not_of(' ');
        std::size_t dim = 0;
        const auto [end, err] = std::from_chars(item.data() + first, item.data() + last + 1, dim);
        if (err != std::errc() || end != item.data() + last + 1)
            in.fail("npy shape entry '" + item.substr(first, 20) + "' is not a dimension");
        out.shape.push_back(dim);
        // Saturate instead of wrapping: a product past the data can only be refused below.
        count = dim != 0 && count > floats_left / dim ? floats_left + 1 : count * dim;
    }
    if (count * sizeof(float) != in.remaining()) in.fail("npy data size does not match its shape");
    out.data.resize(count);
    in.read_bytes(out.data.data(), count * sizeof(float), "npy data");
    return out;
}

}  // namespace lrnn
