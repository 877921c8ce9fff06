#pragma once
// SentencePiece model files (FILE.model): a user's data.tokenizer_path, and RUN_DIR/tokenizer.model,
// the run's bpe / unigram tokenizer as a file other tools (SentencePiece's own) can read.
// The same bytes are also inside every checkpoint (record TOKN, docs/checkpoints.md).

#include <string>

#include "data/tokenizer.hpp"

namespace lrnn {

// UserError naming `key` and the file for a missing or unreadable file or bytes that are not
// a usable model (data/subword_model.hpp says which).
Tokenizer read_tokenizer_model(const std::string& path, const std::string& key);

// RUN_DIR/tokenizer.model for a subword tokenizer; nothing for char and word (their
// vocabularies live in the checkpoints alone).
std::string tokenizer_model_path(const std::string& run_dir);
void write_tokenizer_model(const std::string& run_dir, const Tokenizer& tokenizer);

}  // namespace lrnn
