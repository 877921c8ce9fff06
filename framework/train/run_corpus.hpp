#pragma once
// The corpus a run trains on, as its config describes it: the data.* keys, the tokenizer to
// build, train or read (data.tokenizer_path), or the one a resumed checkpoint stored.

#include <optional>

#include "config/train_config.hpp"
#include "data/corpus.hpp"

namespace lrnn {

// With `stored` (resume), that tokenizer; otherwise built from the training part (char,
// word, auto), trained on it (bpe, unigram: data.vocab_size, seeded by run.seed), or read from
// data.tokenizer_path (its kind must be data.tokenizer's). UserError naming the key.
Corpus load_run_corpus(const TrainConfig& config, const Tokenizer* stored = nullptr);

// data.tokenizer_path's tokenizer, checked against data.tokenizer (UserError naming the key),
// or none when the config builds or trains its own.
std::optional<Tokenizer> configured_tokenizer(const TrainConfig& config);

}  // namespace lrnn
