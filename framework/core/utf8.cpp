#include "core/utf8.hpp"

#include <algorithm>

namespace lrnn {

std::size_t utf8_sequence_length(std::string_view s) {
    if (s.empty()) return 0;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto continuation = [&](std::size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
        return i < s.size() && byte(i) >= low && byte(i) <= high;
    };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80) return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) return continuation(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        const unsigned char low = b0 == 0xE0 ? 0xA0 : 0x80, high = b0 == 0xED ? 0x9F : 0xBF;
        return continuation(1, low, high) && continuation(2) ? 3 : 0;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        const unsigned char low = b0 == 0xF0 ? 0x90 : 0x80, high = b0 == 0xF4 ? 0x8F : 0xBF;
        return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
    }
    return 0;
}

std::size_t utf8_incomplete_tail(std::string_view s) {
    // A sequence is at most 4 bytes: an incomplete one starts within the last 3.
    for (std::size_t k = std::min<std::size_t>(3, s.size()); k >= 1; --k) {
        const std::string_view tail = s.substr(s.size() - k);
        const auto b0 = static_cast<unsigned char>(tail[0]);
        const std::size_t need = b0 >= 0xC2 && b0 <= 0xDF ? 2 : b0 >= 0xE0 && b0 <= 0xEF ? 3
                               : b0 >= 0xF0 && b0 <= 0xF4 ? 4 : 0;
        if (need <= k) continue;  // not a lead byte, or a sequence that would already be complete
        // Incomplete if the bytes so far could still become a well-formed sequence: pad with
        // the smallest continuation bytes allowed and ask whether that is well formed.
        for (unsigned pad = 0x80; pad <= 0xBF; ++pad) {
            std::string probe(tail);
            while (probe.size() < need) probe += char(pad);
            if (utf8_sequence_length(probe) == need) return k;
        }
        // (a lead byte whose next bytes already rule a character out: look at later bytes)
    }
    return 0;
}

std::string Utf8Stream::push(std::string_view bytes) {
    pending_.append(bytes);
    const std::size_t hold = utf8_incomplete_tail(pending_);
    std::string out = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return out;
}

std::size_t Utf8Stream::finish() {
    const std::size_t dropped = pending_.size();
    pending_.clear();
    return dropped;
}

}  // namespace lrnn
