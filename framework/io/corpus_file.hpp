#pragma once
// The training text from its file (data/corpus.hpp does the splitting and tokenizing).

#include <cstdint>
#include <string>
#include <vector>

#include "data/corpus.hpp"

namespace lrnn {

// UserError naming the path for a missing, unreadable or empty file, and whatever make_corpus
// refuses. With `tokenizer` given (resume), that tokenizer is used instead of building one.
Corpus load_corpus(const std::string& path, const std::string& tokenizer_kind, double val_fraction,
                   const Tokenizer* tokenizer = nullptr, const SubwordTraining& subword = {});

// The files a run's data.* keys name (io/corpus_sources.hpp expands them).
struct CorpusSources {
    std::vector<std::string> train;  // data.path's entries
    std::vector<std::string> val;    // data.val_path's entries (none: the last val_fraction of train's text)
    std::string jsonl_field = "text";
};

// The corpus of the sources' joined text (io/corpus_sources.hpp); as load_corpus otherwise.
Corpus load_corpus(const CorpusSources& sources, const std::string& tokenizer_kind, double val_fraction,
                   const Tokenizer* tokenizer = nullptr, const SubwordTraining& subword = {});

// What resume compares with the checkpoint's record: the size and FNV-1a 64 hash of the text
// load_corpus tokenizes (every file's bytes or records, in order, with the separators; and
// data.val_path's after them). Reads every file; UserError as read_corpus_sources.
struct CorpusFingerprint {
    std::uint64_t bytes = 0;
    std::uint64_t hash = 0;
};
CorpusFingerprint corpus_fingerprint(const CorpusSources& sources);

}  // namespace lrnn
