#pragma once
// A token's index in the vocabulary: what the tokenizers produce, the data pipeline stores and
// the model's embedding and head are indexed by.

#include <cstdint>

namespace lrnn {

using TokenId = std::int32_t;

}  // namespace lrnn
