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

namespace {
// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if it is not one (a stray
// continuation byte, a truncated sequence, an overlong form, a surrogate, beyond U+10FFFF).
std::size_t utf8_sequence_length(const std::string& s, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = at(i);
    const std::size_t n = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((at(i + k) & 0xC0) != 0x80) return 0;
    const unsigned char c = at(i + 1);
    if ((b == 0xE0 && c < 0xA0) || (b == 0xED && c > 0x9F) || (b == 0xF0 && c < 0x90) || (b == 0xF4 && c > 0x8F))
        return 0;
    return n;
}
}  // namespace

std::string json_quote(const std::string& s) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto ch = static_cast<unsigned char>(s[i]);
        if (ch >= 0x80) {
            // JSON text is UTF-8: a byte that is not part of a well-formed sequence (a char
            // model's sample can cut a character in two; a file name can be Latin-1) becomes
            // U+FFFD, the replacement character, rather than making the whole file unreadable.
            const std::size_t n = utf8_sequence_length(s, i);
            if (n == 0) {
                out += "\\ufffd";
            } else {
                out.append(s, i, n);
                i += n - 1;
            }
            continue;
        }
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
