#include "core/text.hpp"

#include <algorithm>
#include <vector>

#include "core/utf8.hpp"

namespace lrnn {

namespace {

void append_escaped(std::string& out, unsigned char byte) {
    constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
}

}  // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto b0 = static_cast<unsigned char>(text[i]);
        const std::size_t n = utf8_sequence_length(text.substr(i));
        // C1 controls are two-byte sequences C2 80..C2 9F: well-formed, but still controls.
        const bool control = b0 < 0x20 || b0 == 0x7F ||
                             (n == 2 && b0 == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F);
        if (n == 0 || control) {
            for (std::size_t j = 0; j < std::max<std::size_t>(n, 1); ++j)
                append_escaped(out, static_cast<unsigned char>(text[i + j]));
            i += std::max<std::size_t>(n, 1);
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace lrnn
