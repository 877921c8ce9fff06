#pragma once
#include <span>
#include <string>
#include <vector>

#include "core/token_id.hpp"

namespace lrnn {

// Whitespace-separated decimal token ids, each in [0, vocab_size). UserError naming the file
// and the offending entry for anything else, or for an empty file.
std::vector<TokenId> read_token_file(const std::string& path, int vocab_size);

// The same from the file's bytes in memory; `name` stands for the file in messages.
std::vector<TokenId> parse_token_ids(std::span<const char> bytes, const std::string& name, int vocab_size);

}  // namespace lrnn
