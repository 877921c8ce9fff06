#include "data/corpus.hpp"

#include "core/error.hpp"

namespace lrnn {

std::uint64_t fnv1a64(const void* data, std::size_t size) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

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
    // The char vocabulary is the symbol set of the whole file, so validation never meets a byte
    // the model cannot represent (the set of symbols carries no statistics). A word vocabulary
    // comes from the training part alone: validation words it lacks are <unk>, as usual. So
    // does a subword vocabulary, which byte fallback lets spell any validation text.
    if (tokenizer) {
        c.tokenizer = *tokenizer;
    } else if (tokenizer_kind == "bpe" || tokenizer_kind == "unigram") {
        subword.algorithm = tokenizer_kind == "bpe" ? SubwordAlgorithm::Bpe : SubwordAlgorithm::Unigram;
        c.tokenizer = Tokenizer::train_subword(train, subword);
    } else {
        const std::string kind = tokenizer_kind == "auto" ? (all.size() < 20000 ? "char" : "word") : tokenizer_kind;
        c.tokenizer = Tokenizer::build(kind == "char" ? all : train, kind);
    }
    c.train_tokens = c.tokenizer.encode(train, path + " (training part)");
    c.val_tokens = c.tokenizer.encode(val, path + " (validation part, from byte " +
                                               std::to_string(c.train_bytes) + ")",
                                      nullptr, &c.val_token_bytes);
    return c;
}

}  // namespace lrnn
