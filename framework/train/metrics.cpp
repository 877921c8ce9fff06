#include "train/metrics.hpp"

#include <cstring>

#include "core/error.hpp"

namespace lrnn {

MetricsLog::MetricsLog(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "a")) {
    if (!file_) throw UserError(path + ": cannot open for appending (" + std::strerror(errno) + ")");
}

MetricsLog::~MetricsLog() {
    if (file_) std::fclose(file_);
}

void MetricsLog::write(const Json& row) {
    const std::string line = json_line(row) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
        throw UserError(path_ + ": cannot write metrics (" + std::strerror(errno) + ")");
}

}  // namespace lrnn
