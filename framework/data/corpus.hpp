#pragma once
// The training text (its bytes, already in memory: io/corpus_file.hpp reads the file), split into a training part (the first 1 - val_fraction of the
// bytes) and a validation part (the rest), tokenized with a tokenizer built from the training
// part (model-spec.md section 9); a char vocabulary covers the whole file's bytes.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/tokenizer.hpp"

namespace lrnn {

struct Corpus {
    std::string path;
    std::uint64_t bytes = 0;
    std::uint64_t hash = 0;          // FNV-1a 64 of the whole text: resume refuses a changed corpus
    std::size_t train_bytes = 0;     // bytes in the training part
    Tokenizer tokenizer;
    std::vector<TokenId> train_tokens;
    std::vector<TokenId> val_tokens;
    std::vector<std::uint32_t> val_token_bytes;  // bytes of the validation text behind each token
};

// `path` names the file in messages and in Corpus::path. UserError naming it for a text too
// short to split, and (resume with a stored char tokenizer) naming the byte and position of a
// byte the vocabulary lacks. With `tokenizer` given (resume), that tokenizer is used instead
// of building one. A bpe / unigram tokenizer is trained on the training part with `subword`
// (its algorithm from tokenizer_kind).
Corpus make_corpus(std::string_view bytes, const std::string& path, const std::string& tokenizer_kind,
                   double val_fraction, const Tokenizer* tokenizer = nullptr, SubwordTraining subword = {});

// The same with an explicit validation text (data.val_path) instead of a fraction: Corpus::bytes
// and hash cover the training text followed by the validation text; a char vocabulary covers
// both. `path` and `val_path` name the texts in messages; UserError naming one if it is empty.
Corpus make_corpus_with_validation(std::string_view train, std::string_view val, const std::string& path,
                                   const std::string& val_path, const std::string& tokenizer_kind, const Tokenizer* tokenizer = nullptr,
                                   SubwordTraining subword = {});

inline constexpr std::uint64_t kFnv1a64Basis = 0xcbf29ce484222325ULL;
// FNV-1a 64; `basis` continues a hash: fnv1a64(b, n, fnv1a64(a, m)) is the hash of a then b.
std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t basis = kFnv1a64Basis);

}  // namespace lrnn
