#pragma once
// `lrnn prepare`: a run's corpus tokenized exactly as training tokenizes it (train/run_corpus.hpp)
// and written as token stores (io/token_store.hpp) into a cache folder beside the runs:
//   RUN_DIR_PARENT/.token-stores/<text fingerprint>-<vocabulary fingerprint>-<training bytes>/
//       train.tokens, val.tokens (and tokenizer.model for bpe / unigram)
// where RUN_DIR_PARENT is run.dir, the fingerprints are 16 hex digits (Corpus::hash and
// vocabulary_fingerprint) and the training bytes say where the text was split. Deleting the
// folder (or all of .token-stores) is always safe: the next prepare writes it again.

#include <cstdint>
#include <ostream>
#include <string>

#include "config/train_config.hpp"
#include "data/corpus.hpp"

namespace lrnn {

// The cache folder of `corpus` (tokenized by `config`'s tokenizer) under config.run.dir.
std::string token_store_folder(const TrainConfig& config, const Corpus& corpus);

struct PreparedStores {
    std::string folder;
    std::string train_path, val_path;
    bool reused = false;  // both stores were there, intact and made from this corpus and tokenizer
    std::uint64_t text_bytes = 0;
    std::uint64_t train_tokens = 0, val_tokens = 0;
};

// Writes (or keeps, when they are valid) the two stores of `corpus`. A store that is damaged
// or stale is named on `log` with the reason and written again; it is never kept.
// OutputError naming the path if the folder or a file cannot be written.
PreparedStores prepare_token_stores(const TrainConfig& config, const Corpus& corpus, std::ostream& log);

}  // namespace lrnn
