#include "train/metrics.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace lrnn {

std::string json_number(double v) {
    if (!std::isfinite(v)) return "null";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

std::string json_quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (ch < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", ch);
                    out += buf;
                } else {
                    out += char(ch);
                }
        }
    }
    return out + "\"";
}

void JsonObject::key(const std::string& k) {
    if (!body_.empty()) body_ += ", ";
    body_ += json_quote(k) + ": ";
}
JsonObject& JsonObject::add(const std::string& k, double value) {
    key(k);
    body_ += json_number(value);
    return *this;
}
JsonObject& JsonObject::add(const std::string& k, long long value) {
    key(k);
    body_ += std::to_string(value);
    return *this;
}
JsonObject& JsonObject::add(const std::string& k, const std::string& value) {
    key(k);
    body_ += json_quote(value);
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
