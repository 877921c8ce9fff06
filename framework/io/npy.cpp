#include "io/npy.hpp"

#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"

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
    std::string bytes("\x93NUMPY\x01\x00", 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    bytes.push_back(char(len & 0xff));
    bytes.push_back(char(len >> 8));
    bytes += header;
    bytes.append(reinterpret_cast<const char*>(data.data()), data.size_bytes());
    write_file_atomically(path, bytes);
}

NpyArray read_npy(const std::string& path) {
    const std::vector<char> bytes = read_file_bytes(path);
    ByteReader in(bytes, path);
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
    for (std::string item; std::getline(shape, item, ',');) {
        if (item.find_first_not_of(' ') == std::string::npos) continue;
        out.shape.push_back(std::stoull(item));
        count *= out.shape.back();
    }
    if (count * sizeof(float) != in.remaining()) in.fail("npy data size does not match its shape");
    out.data.resize(count);
    in.read_bytes(out.data.data(), count * sizeof(float), "npy data");
    return out;
}

}  // namespace lrnn
