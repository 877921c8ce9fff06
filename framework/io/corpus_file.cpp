#include "io/corpus_file.hpp"

#include <filesystem>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "io/byte_reader.hpp"
#include "io/corpus_sources.hpp"

namespace lrnn {

Corpus load_corpus(const std::string& path, const std::string& tokenizer_kind, double val_fraction,
                   const Tokenizer* tokenizer, const SubwordTraining& subword) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw UserError("data.path: " + path + ": file not found");
    if (std::filesystem::is_directory(path, ec))
        throw UserError("data.path: " + path + ": is a directory, expected a text file");
    const std::vector<char> bytes = read_file_bytes(path);
    if (bytes.empty()) throw UserError("data.path: " + path + ": the corpus is empty");
    return make_corpus(std::string_view(bytes.data(), bytes.size()), path, tokenizer_kind, val_fraction, tokenizer, subword);
}

Corpus load_corpus(const CorpusSources& sources, const std::string& tokenizer_kind, double val_fraction,
                   const Tokenizer* tokenizer, const SubwordTraining& subword) {
    const CorpusText train = read_corpus_sources(sources.train, "data.path", sources.jsonl_field);
    if (sources.val.empty())
        return make_corpus(train.text, train.name, tokenizer_kind, val_fraction, tokenizer, subword);
    const CorpusText val = read_corpus_sources(sources.val, "data.val_path", sources.jsonl_field);
    return make_corpus_with_validation(train.text, val.text, train.name, val.name, tokenizer_kind, tokenizer, subword);
}

CorpusFingerprint corpus_fingerprint(const CorpusSources& sources) {
    // Streamed (CorpusStream): the same bytes read_corpus_sources joins, never held whole.
    CorpusFingerprint f;
    f.hash = kFnv1a64Basis;
    const auto add = [&](const std::vector<std::string>& entries, const std::string& key) {
        const std::vector<std::string> files = expand_corpus_sources(entries, key);
        CorpusStream stream(files, corpus_sources_name(entries, files), key, sources.jsonl_field);
        for (std::string piece; stream.next(piece);) {
            f.bytes += piece.size();
            f.hash = fnv1a64(piece.data(), piece.size(), f.hash);
        }
    };
    add(sources.train, "data.path");
    if (!sources.val.empty()) add(sources.val, "data.val_path");
    return f;
}

}  // namespace lrnn
