#include "io/byte_reader.hpp"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace lrnn {

std::vector<char> read_file_bytes(const std::string& path) {
    // A directory opens fine as a stream on Linux and its "size" (a seek to the end) can be
    // 2^63 - 1 on ext4: refuse it by name instead of trying to allocate that.
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (std::filesystem::is_directory(status)) throw UserError(path + ": is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError(path + ": cannot open (" + std::generic_category().message(errno) + ")");
    if (!std::filesystem::is_regular_file(status)) {
        // A pipe or device (e.g. /dev/stdin) has no size to ask for: read it to the end.
        std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        if (in.bad()) throw UserError(path + ": read failed");
        return bytes;
    }
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0) throw UserError(path + ": cannot read (cannot find its size)");
    std::vector<char> bytes(static_cast<std::size_t>(size));
    in.seekg(0);
    if (size > 0 && !in.read(bytes.data(), size)) throw UserError(path + ": read failed");
    return bytes;
}

std::optional<std::string> read_text_if_present(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    const std::vector<char> bytes = read_file_bytes(path);
    return std::string(bytes.begin(), bytes.end());
}

std::string read_file_from(const std::string& path, std::uint64_t offset) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    if (size < 0 || std::uint64_t(size) <= offset) return "";
    std::string added(std::size_t(std::uint64_t(size) - offset), '\0');
    in.seekg(std::streamoff(offset));
    in.read(added.data(), std::streamsize(added.size()));
    added.resize(std::size_t(in.gcount()));
    return added;
}

}  // namespace lrnn
