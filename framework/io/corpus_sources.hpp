#pragma once
// The corpus files a config names (docs/config.md, data.path): each entry of data.path or
// data.val_path is a file, a directory (its files, recursively) or a glob, expanded here into
// one sorted list of files, read and joined into the text data/ tokenizes. The only place the
// corpus's files are opened.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lrnn {

// Between two documents (two files, two JSON Lines records): a blank line. The char and word
// tokenizers know "\n"; bpe / unigram spell any bytes (byte fallback).
inline constexpr std::string_view kDocumentSeparator = "\n\n";

// The files of the entries, in order: each entry's files sorted byte-wise by their path
// relative to the entry (a directory) or by their full path (a glob); a file named directly is
// taken as it is (it must be a regular file, or a symlink to one). In a directory, hidden names (a leading '.') are skipped at any depth and
// not descended into, directories reached through a symlink are not entered, and a symlink is
// taken when it points to a regular file. A glob is glob(3)'s: '*', '?', '[...]' within one
// path level ('**' is the same as '*'); it takes the regular files it matches. `key` names the
// setting in messages. UserError naming the path for a missing file, an empty directory, a
// directory without files, a glob that matches no file.
std::vector<std::string> expand_corpus_sources(const std::vector<std::string>& entries, const std::string& key);

struct CorpusText {
    std::string text;                // the documents joined by kDocumentSeparator
    std::vector<std::string> files;  // the files read, in order
    std::string name;                // for messages: the file, or "ENTRY (N files)"
};

// Reads the files (as expand_corpus_sources listed them) and joins their documents: a plain
// file is one document, a `*.jsonl` file one document per non-blank line (the string field
// `jsonl_field` of the line's JSON object). `name` names them in messages. UserError naming the
// file (and line) for a file that cannot be read, that vanished since the listing, a malformed
// JSON line or a missing / non-string field, and for files that hold no text at all.
CorpusText read_corpus_files(std::vector<std::string> files, const std::string& name, const std::string& key,
                             const std::string& jsonl_field);

// How messages name the corpus of `entries` listing `files`: the file, or "ENTRY (N files)",
// "ENTRY and K more (N files)".
std::string corpus_sources_name(const std::vector<std::string>& entries, const std::vector<std::string>& files);

// The joined text read_corpus_files would hold, handed out in pieces of about `piece_bytes`
// without ever holding it whole: a plain file read block by block, a JSON Lines file record
// by record (one record's text is held at a time). The same errors, naming file and line.
class CorpusStream {
public:
    // `name` names the corpus in messages (corpus_sources_name), `key` the setting.
    CorpusStream(std::vector<std::string> files, std::string name, std::string key, std::string jsonl_field,
                 std::size_t piece_bytes = std::size_t(4) << 20);
    ~CorpusStream();
    CorpusStream(const CorpusStream&) = delete;
    CorpusStream& operator=(const CorpusStream&) = delete;

    // The next piece of the text into `piece` (replacing what it held); false at the end.
    // UserError as read_corpus_files, including for a corpus with no text at all.
    bool next(std::string& piece);

private:
    struct Open;
    bool fill(std::string& piece);
    std::vector<std::string> files_;
    std::string name_, key_, field_;
    std::size_t piece_bytes_;
    std::size_t file_ = 0;
    std::unique_ptr<Open> open_;  // the file being read
    std::uint64_t emitted_ = 0;   // bytes of joined text handed out so far
    bool document_started_ = false;
};

// expand_corpus_sources, then read_corpus_files: a plain file is one document, a
// `*.jsonl` file one document per non-blank line (the string field `jsonl_field` of the
// line's JSON object). UserError naming the file (and line) for a file that cannot be read,
// that vanished since the listing, a malformed JSON line or a missing / non-string field,
// and for sources that hold no text at all.
CorpusText read_corpus_sources(const std::vector<std::string>& entries, const std::string& key,
                               const std::string& jsonl_field);

}  // namespace lrnn
