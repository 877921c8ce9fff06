#include "io/token_file.hpp"

#include <cctype>
#include <charconv>

#include "core/error.hpp"
#include "io/byte_reader.hpp"

namespace lrnn {

std::vector<TokenId> read_token_file(const std::string& path, int vocab_size) {
    return parse_token_ids(read_file_bytes(path), path, vocab_size);
}

std::vector<TokenId> parse_token_ids(std::span<const char> bytes, const std::string& path, int vocab_size) {
    std::vector<TokenId> ids;
    std::size_t i = 0;
    while (i < bytes.size()) {
        if (std::isspace(static_cast<unsigned char>(bytes[i]))) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < bytes.size() && !std::isspace(static_cast<unsigned char>(bytes[j]))) ++j;
        const std::string item(bytes.data() + i, j - i);
        long long value = 0;
        const auto [end, err] = std::from_chars(item.data(), item.data() + item.size(), value);
        if (err != std::errc() || end != item.data() + item.size())
            throw UserError(path + ": token " + std::to_string(ids.size()) + " is '" +
                            item.substr(0, 40) + "', not a decimal integer");
        if (value < 0 || value >= vocab_size)
            throw UserError(path + ": token " + std::to_string(ids.size()) + " is " + item +
                            ", outside the vocabulary [0, " + std::to_string(vocab_size) + ")");
        ids.push_back(TokenId(value));
        i = j;
    }
    if (ids.empty()) throw UserError(path + ": no token ids in the file");
    return ids;
}

}  // namespace lrnn
