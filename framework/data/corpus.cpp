#include "data/corpus.hpp"

#include "core/error.hpp"

namespace lrnn {

std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t basis) {
    std::uint64_t h = basis;
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

namespace {

// Builds, trains or takes the tokenizer and tokenizes both parts. `all_size` is the text's
// whole size ("auto" decides by it); `char_text` the bytes a char vocabulary covers.
void tokenize_parts(Corpus& c, std::string_view train, std::string_view val, std::string_view char_text,
                    std::size_t all_size, const std::string& tokenizer_kind, const Tokenizer* tokenizer,
                    SubwordTraining subword, const std::string& val_context) {
    // The char vocabulary is the symbol set of the whole text, so validation never meets a byte
    // the model cannot represent (the set of symbols carries no statistics). A word vocabulary
    // comes from the training part alone: validation words it lacks are <unk>, as usual. So
    // does a subword vocabulary, which byte fallback lets spell any validation text.
    if (tokenizer) {
        c.tokenizer = *tokenizer;
    } else if (tokenizer_kind == "bpe" || tokenizer_kind == "unigram") {
        subword.algorithm = tokenizer_kind == "bpe" ? SubwordAlgorithm::Bpe : SubwordAlgorithm::Unigram;
        c.tokenizer = Tokenizer::train_subword(train, subword);
    } else {
        const std::string kind = tokenizer_kind == "auto" ? (all_size < 20000 ? "char" : "word") : tokenizer_kind;
        c.tokenizer = Tokenizer::build(kind == "char" ? char_text : train, kind);
    }
    c.train_tokens = c.tokenizer.encode(train, c.path + " (training part)");
    c.val_tokens = c.tokenizer.encode(val, val_context, nullptr, &c.val_token_bytes);
}

}  // namespace

Corpus make_corpus(std::string_view all, const std::string& path, const std::string& tokenizer_kind,
                   double val_fraction, const Tokenizer* tokenizer, SubwordTraining subword) {
    Corpus c;
    c.path = path;
    c.bytes = all.size();
    c.hash = fnv1a64(all.data(), all.size());
    c.train_bytes = std::size_t(double(all.size()) * (1.0 - val_fraction));
    const std::string_view train = all.substr(0, c.train_bytes);
    const std::string_view val = all.substr(c.train_bytes);
    if (train.empty() || val.empty())
        throw UserError("data.path: " + path + " (" + std::to_string(all.size()) +
                        " bytes) is too short to split into training and validation parts");
    tokenize_parts(c, train, val, all, all.size(), tokenizer_kind, tokenizer, subword,
                   path + " (validation part, from byte " + std::to_string(c.train_bytes) + ")");
    return c;
}

Corpus make_corpus_with_validation(std::string_view train, std::string_view val, const std::string& path,
                                   const std::string& val_path, const std::string& tokenizer_kind, const Tokenizer* tokenizer,
                                   SubwordTraining subword) {
    if (train.empty()) throw UserError("data.path: " + path + ": the training text is empty");
    if (val.empty()) throw UserError("data.val_path: " + val_path + ": the validation text is empty");
    Corpus c;
    c.path = path;
    c.bytes = train.size() + val.size();
    c.hash = fnv1a64(val.data(), val.size(), fnv1a64(train.data(), train.size()));
    c.train_bytes = train.size();
    const bool char_vocab = !tokenizer && (tokenizer_kind == "char" || (tokenizer_kind == "auto" && c.bytes < 20000));
    const std::string both = char_vocab ? std::string(train) + std::string(val) : std::string();
    tokenize_parts(c, train, val, both, c.bytes, tokenizer_kind, tokenizer, subword, val_path + " (validation text)");
    return c;
}

}  // namespace lrnn
