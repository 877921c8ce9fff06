#include "io/byte_reader.hpp"

#include <cerrno>
#include <fstream>
#include <system_error>

namespace lrnn {

std::vector<char> read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw UserError(path + ": cannot open (" + std::generic_category().message(errno) + ")");
    const std::streamoff size = in.tellg();
    if (size < 0) throw UserError(path + ": cannot read (not a regular file?)");
    std::vector<char> bytes(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(bytes.data(), size)) throw UserError(path + ": read failed");
    return bytes;
}

}  // namespace lrnn
