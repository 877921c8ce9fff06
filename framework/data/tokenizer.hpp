#pragma once
// Tokenizers of model-spec.md section 9: char (distinct bytes, sorted) and word.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/token_id.hpp"

namespace lrnn {

enum class TokenizerKind { Char, Word };

const char* to_string(TokenizerKind kind);

class Tokenizer {
public:
    // Built from a training text (section 9).
    static Tokenizer build_char(std::string_view corpus);
    static Tokenizer build_word(std::string_view corpus);
    // "auto": char below 20,000 bytes, otherwise word.
    static Tokenizer build(std::string_view corpus, const std::string& kind_name);

    // From stored vocabularies (model files, checkpoints).
    static Tokenizer from_chars(std::vector<std::uint8_t> chars_by_id);
    static Tokenizer from_words(std::vector<std::string> words_by_id);

    TokenizerKind kind() const { return kind_; }
    int vocab_size() const;

    // Text to ids. Char: a byte outside the vocabulary throws UserError naming the byte value
    // and its position (context names the text's source); Word: unknown words become <unk>
    // and are counted in *unknown_words when given. *token_bytes, when given, receives the
    // number of bytes of `text` behind each id (1 for a char; for a word, its own length, also
    // for one that became <unk> or was cut at the longest word, plus any dropped '\r' before
    // it): bits per byte are counted over the text, not over a decoding that writes "<unk>".
    std::vector<TokenId> encode(std::string_view text, const std::string& context = "text",
                                std::size_t* unknown_words = nullptr,
                                std::vector<std::uint32_t>* token_bytes = nullptr) const;
    std::string decode(std::span<const TokenId> ids) const;
    std::string decode_one(TokenId id) const;

    const std::vector<std::uint8_t>& chars() const { return chars_; }
    const std::vector<std::string>& words() const { return words_; }

    bool operator==(const Tokenizer& other) const {
        return kind_ == other.kind_ && chars_ == other.chars_ && words_ == other.words_;
    }

    // Word vocabulary's special ids (fixed by construction).
    static constexpr TokenId kUnk = 0, kPad = 1, kSpace = 2, kNewline = 3;

private:
    void index_words();

    TokenizerKind kind_ = TokenizerKind::Char;
    std::vector<std::uint8_t> chars_;        // char: byte of each id
    std::array<TokenId, 256> byte_to_id_{};  // char: id of each byte, -1 if absent
    std::vector<std::string> words_;         // word: text of each id
    std::unordered_map<std::string, TokenId> word_to_id_;
};

}  // namespace lrnn
