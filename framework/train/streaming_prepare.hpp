#pragma once
// Token stores written straight from the corpus files, block by block, never holding the
// whole text (docs/formats.md, "Token stores"): the text is read in blocks cut after a
// newline, blocks are tokenized in parallel on the oneTBB workers and their ids appended to
// the stores in order. Cutting after a newline keeps the ids those of the whole text: char
// is per byte, word never joins a word across '\n', SentencePiece encodes line by line.

#include <cstdint>
#include <ostream>
#include <string>

#include "config/train_config.hpp"
#include "data/tokenizer.hpp"

namespace lrnn {

// What a preparation wrote (the manifest records it).
struct PreparedText {
    std::string name;
    std::uint64_t bytes = 0, hash = 0, train_bytes = 0;
    Tokenizer tokenizer;
    std::uint64_t train_tokens = 0, val_tokens = 0;
};

// Writes FOLDER/train.tokens, val.tokens (and val.token_bytes for word) for `config`'s corpus
// with `given` or the config's tokenizer, exactly the ids data/corpus.cpp gives the whole text.
// `block_bytes`: text per block; `progress`: a status line on `log`.
PreparedText stream_prepare(const TrainConfig& config, const Tokenizer* given, const std::string& folder,
                            std::size_t block_bytes, bool progress, std::ostream& log);

}  // namespace lrnn
