#include "io/append_file.hpp"

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace lrnn {

AppendFile::AppendFile(std::string path, Start start, std::string what)
    : path_(std::move(path)), what_(std::move(what)), file_(std::fopen(path_.c_str(), start == Start::Append ? "ab" : "wb")) {
    if (!file_) throw UserError(path_ + ": cannot open for writing (" + std::strerror(errno) + ")");
}

void AppendFile::write(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), file_.get()) != text.size() || std::fflush(file_.get()) != 0)
        throw UserError(path_ + ": cannot write " + what_ + " (" + std::strerror(errno) + ")");
}

}  // namespace lrnn
