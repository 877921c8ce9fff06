#include "data/tokenizer.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace lrnn {

namespace {

constexpr std::size_t kMaxWordBytes = 63;
constexpr std::string_view kBoundaries = " \n\t\r.,!?:;\"'()[]{}-/\\@#$%&*+=<>|~`^";
// Special tokens of the word vocabulary, in id order.
const std::vector<std::string> kWordSpecials = {"<unk>", "<pad>", " ", "\n", ".",  ",", "!", "?",
                                                ":",     ";",     "\"", "'", "(", ")", "-", "\t"};

bool is_boundary(char ch) { return kBoundaries.find(ch) != std::string_view::npos; }

// Splits text into word-vocabulary pieces: words (cut at 63 bytes) and boundary characters;
// spaces and tabs become " ", CR is dropped.
// emit(piece, source_bytes): source_bytes counts the bytes of `text` the piece stands for,
// including what the piece leaves out (a dropped '\r' before it, the tail of a word cut at
// kMaxWordBytes), so that the counts add up to the text's length (bar a trailing '\r').
template <typename Emit>
void split_words(std::string_view text, Emit emit) {
    std::size_t i = 0;
    std::size_t dropped = 0;  // '\r' bytes not yet counted
    while (i < text.size()) {
        const char ch = text[i];
        if (is_boundary(ch)) {
            if (ch == '\r') {
                ++dropped;
            } else {
                emit(ch == ' ' || ch == '\t' ? std::string_view(" ") : text.substr(i, 1), 1 + dropped);
                dropped = 0;
            }
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < text.size() && !is_boundary(text[j])) ++j;
        emit(text.substr(i, std::min(j - i, kMaxWordBytes)), j - i + dropped);
        dropped = 0;
        i = j;
    }
}

std::string byte_name(unsigned char b) {
    std::string s = "byte " + std::to_string(int(b));
    if (b >= 32 && b < 127) s += " ('" + std::string(1, char(b)) + "')";
    return s;
}

}  // namespace

const char* to_string(TokenizerKind kind) {
    switch (kind) {
        case TokenizerKind::Char: return "char";
        case TokenizerKind::Word: return "word";
        case TokenizerKind::Bpe: return "bpe";
        case TokenizerKind::Unigram: return "unigram";
    }
    return "?";
}

std::uint32_t tokenizer_kind_code(TokenizerKind kind) { return std::uint32_t(kind); }

bool kind_from_code(std::uint32_t code, TokenizerKind& kind) {
    if (code > std::uint32_t(TokenizerKind::Unigram)) return false;
    kind = TokenizerKind(code);
    return true;
}

Tokenizer Tokenizer::build_char(std::string_view corpus) {
    std::array<bool, 256> seen{};
    for (unsigned char b : corpus) seen[b] = true;
    std::vector<std::uint8_t> chars;
    for (int b = 0; b < 256; ++b)
        if (seen[b]) chars.push_back(std::uint8_t(b));
    return from_chars(std::move(chars));
}

Tokenizer Tokenizer::build_word(std::string_view corpus) {
    bool given = false;
    return build_word_from_blocks([&](std::string_view& block) {
        if (given) return false;
        block = corpus;
        return given = true;
    });
}

Tokenizer Tokenizer::build_word_from_blocks(const std::function<bool(std::string_view& block)>& next) {
    Tokenizer t;
    t.kind_ = TokenizerKind::Word;
    t.words_ = kWordSpecials;
    t.index_words();
    std::string_view block;
    while (next(block))
        split_words(block, [&](std::string_view piece, std::size_t) {
            std::string w(piece);
            if (!t.word_to_id_.count(w)) {
                t.word_to_id_.emplace(w, TokenId(t.words_.size()));
                t.words_.push_back(std::move(w));
            }
        });
    return t;
}

Tokenizer Tokenizer::build(std::string_view corpus, const std::string& kind_name) {
    if (kind_name == "char") return build_char(corpus);
    if (kind_name == "word") return build_word(corpus);
    if (kind_name == "auto") return corpus.size() < 20000 ? build_char(corpus) : build_word(corpus);
    throw UserError("tokenizer: unknown kind '" + kind_name + "' (expected char, word or auto)");
}

Tokenizer Tokenizer::from_chars(std::vector<std::uint8_t> chars_by_id) {
    Tokenizer t;
    t.kind_ = TokenizerKind::Char;
    t.byte_to_id_.fill(-1);
    for (std::size_t id = 0; id < chars_by_id.size(); ++id) {
        if (t.byte_to_id_[chars_by_id[id]] != -1)
            throw UserError("char vocabulary lists " + byte_name(chars_by_id[id]) + " twice");
        t.byte_to_id_[chars_by_id[id]] = TokenId(id);
    }
    t.chars_ = std::move(chars_by_id);
    return t;
}

Tokenizer Tokenizer::from_words(std::vector<std::string> words_by_id) {
    Tokenizer t;
    t.kind_ = TokenizerKind::Word;
    t.words_ = std::move(words_by_id);
    t.index_words();
    return t;
}

Tokenizer Tokenizer::train_subword(std::string_view training_text, const SubwordTraining& settings) {
    Tokenizer t;
    t.subword_ = SubwordModel::train(training_text, settings);
    t.kind_ = t.subword_->algorithm() == SubwordAlgorithm::Bpe ? TokenizerKind::Bpe : TokenizerKind::Unigram;
    return t;
}

Tokenizer Tokenizer::train_subword_on_sample(std::span<const std::string_view> sample, const SubwordTraining& settings) {
    Tokenizer t;
    t.subword_ = SubwordModel::train_on_sample(sample, settings);
    t.kind_ = t.subword_->algorithm() == SubwordAlgorithm::Bpe ? TokenizerKind::Bpe : TokenizerKind::Unigram;
    return t;
}

Tokenizer Tokenizer::from_sentencepiece(std::string model_proto, const std::string& context) {
    Tokenizer t;
    t.subword_ = SubwordModel::from_proto(std::move(model_proto), context);
    t.kind_ = t.subword_->algorithm() == SubwordAlgorithm::Bpe ? TokenizerKind::Bpe : TokenizerKind::Unigram;
    return t;
}

std::string_view Tokenizer::sentencepiece_model() const {
    return subword_ ? std::string_view(subword_->proto()) : std::string_view();
}

void Tokenizer::index_words() {
    word_to_id_.clear();
    for (std::size_t id = 0; id < words_.size(); ++id) word_to_id_.emplace(words_[id], TokenId(id));
}

int Tokenizer::vocab_size() const {
    if (subword_) return subword_->vocab_size();
    return int(kind_ == TokenizerKind::Char ? chars_.size() : words_.size());
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, const std::string& context,
                                       std::size_t* unknown_words,
                                       std::vector<std::uint32_t>* token_bytes,
                                       std::size_t first_position) const {
    std::vector<TokenId> ids;
    if (token_bytes) token_bytes->clear();
    if (subword_) {
        ids.reserve(text.size() / 3);
        subword_->encode(text, ids, token_bytes);
        return ids;
    }
    if (kind_ == TokenizerKind::Char) {
        // One table lookup per byte, the error looked for after (a loop without branches).
        ids.resize(text.size());
        TokenId smallest = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const TokenId id = byte_to_id_[static_cast<unsigned char>(text[i])];
            smallest = std::min(smallest, id);
            ids[i] = id;
        }
        if (smallest < 0)
            for (std::size_t i = 0; i < text.size(); ++i)
                if (ids[i] < 0)
                    throw UserError(context + ": " + byte_name(static_cast<unsigned char>(text[i])) +
                                    " at position " + std::to_string(first_position + i) +
                                    " is not in the model's character vocabulary");
        if (token_bytes) token_bytes->assign(ids.size(), 1);
        return ids;
    }
    split_words(text, [&](std::string_view piece, std::size_t source_bytes) {
        if (token_bytes) token_bytes->push_back(std::uint32_t(source_bytes));
        const auto it = word_to_id_.find(std::string(piece));
        if (it == word_to_id_.end()) {
            ids.push_back(kUnk);
            if (unknown_words) ++*unknown_words;
        } else {
            ids.push_back(it->second);
        }
    });
    return ids;
}

std::string Tokenizer::decode_one(TokenId id) const { return std::string(token_bytes(id)); }

std::string_view Tokenizer::token_bytes(TokenId id) const {
    if (id < 0 || id >= vocab_size()) return {};
    if (subword_) return subword_->piece_bytes(id);
    if (kind_ == TokenizerKind::Char) return std::string_view(reinterpret_cast<const char*>(chars_.data()) + id, 1);
    return words_[std::size_t(id)];
}

std::string Tokenizer::decode(std::span<const TokenId> ids) const {
    std::string out;
    for (TokenId id : ids) out += decode_one(id);
    return out;
}

}  // namespace lrnn
