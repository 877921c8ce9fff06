#pragma once
// manifest.json of a token-store folder (docs/formats.md, "Token stores"): what the stores were
// made from and what they hold, so that a start can reuse them without reading the corpus.
//   - `key`: the cheap fingerprint of the sources and settings (each source file's path, size
//     and mtime in nanoseconds, and the data settings that change the ids). A start computes
//     it again (a stat per file) and reuses the folder only when it is equal.
//   - the full text's FNV-1a 64 fingerprint and byte count (what checkpoints record as
//     corpus_hash / corpus_bytes), computed while the stores were written: resume compares them
//     with the checkpoint's instead of reading the text again.
//   - the tokenizer (its JSON vocabulary, or "tokenizer.model" beside the manifest for bpe /
//     unigram) and its vocabulary fingerprint; the token counts; and each store file's size and
//     mtime, checked at every start.
// Written last and atomically, so a folder with a manifest holds complete stores.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace lrnn {

inline constexpr int kTokenManifestVersion = 1;

// A file as a stat sees it: the cheap fingerprint of a source, and the identity of a store file.
struct FileStamp {
    std::string path;
    std::uint64_t bytes = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
};

// The stamp of each file, in order; UserError naming a file that cannot be stat'ed.
FileStamp stamp_file(const std::string& path);
std::vector<FileStamp> stamp_files(const std::vector<std::string>& paths);
Json stamps_to_json(const std::vector<FileStamp>& stamps);

struct TokenManifest {
    int version = kTokenManifestVersion;
    Json key;                       // the cheap fingerprint (an object; compared as a whole)
    std::string name;               // the corpus as messages name it (Corpus::path)
    std::uint64_t text_fingerprint = 0;  // FNV-1a 64 of the whole text (Corpus::hash)
    std::uint64_t text_bytes = 0;        // its size (Corpus::bytes)
    std::uint64_t train_bytes = 0;       // bytes in the training part
    std::uint64_t vocabulary_fingerprint = 0;
    Json tokenizer;                 // tokenizer_to_json, or {"kind": K, "model_file": "tokenizer.model"}
    std::uint64_t train_tokens = 0, val_tokens = 0;
    // The store files (train.tokens, val.tokens and, for word, val.token_bytes) as written;
    // paths relative to the folder.
    std::vector<FileStamp> stores;
};

std::string encode_token_manifest(const TokenManifest& manifest);

// UserError "NAME: FIELD ..." for text that is not such a manifest (bad JSON, a missing field,
// a wrong type, a fingerprint that is not 16 hex digits, another version).
TokenManifest parse_token_manifest(std::string_view text, const std::string& name);

}  // namespace lrnn
