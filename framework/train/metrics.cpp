#include "train/metrics.hpp"

#include <cstring>

#include "core/error.hpp"
#include "core/json.hpp"

namespace lrnn {

void JsonObject::key(const std::string& k) {
    if (!body_.empty()) body_ += ", ";
    body_ += json_line(Json(k)) + ": ";
}
JsonObject& JsonObject::add(const std::string& k, double value) {
    key(k);
    body_ += json_line(Json(value));
    return *this;
}
JsonObject& JsonObject::add(const std::string& k, long long value) {
    key(k);
    body_ += std::to_string(value);
    return *this;
}
JsonObject& JsonObject::add(const std::string& k, const std::string& value) {
    key(k);
    body_ += json_line(Json(value));
    return *this;
}

MetricsLog::MetricsLog(const std::string& path) : path_(path), file_(std::fopen(path.c_str(), "a")) {
    if (!file_) throw UserError(path + ": cannot open for appending (" + std::strerror(errno) + ")");
}

MetricsLog::~MetricsLog() {
    if (file_) std::fclose(file_);
}

void MetricsLog::write(const JsonObject& row) {
    const std::string line = row.str() + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
        throw UserError(path_ + ": cannot write metrics (" + std::strerror(errno) + ")");
}

}  // namespace lrnn
