#pragma once
#include <string>
#include <vector>

#include "model/model.hpp"

namespace lrnn {

// Whitespace-separated decimal token ids, each in [0, vocab_size). UserError naming the file
// and the offending entry for anything else, or for an empty file.
std::vector<TokenId> read_token_file(const std::string& path, int vocab_size);

}  // namespace lrnn
