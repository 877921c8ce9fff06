#pragma once
// The training text from its file (data/corpus.hpp does the splitting and tokenizing).

#include <string>

#include "data/corpus.hpp"

namespace lrnn {

// UserError naming the path for a missing, unreadable or empty file, and whatever make_corpus
// refuses. With `tokenizer` given (resume), that tokenizer is used instead of building one.
Corpus load_corpus(const std::string& path, const std::string& tokenizer_kind, double val_fraction,
                   const Tokenizer* tokenizer = nullptr, const SubwordTraining& subword = {});

}  // namespace lrnn
