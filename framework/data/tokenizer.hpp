#pragma once
// Tokenizers of model-spec.md section 9: char (distinct bytes, sorted) and word; and the
// subword tokenizers bpe and unigram (SentencePiece with byte fallback, data/subword_model.hpp).

#include <array>
#include <functional>
#include <memory>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/token_id.hpp"
#include "data/subword_model.hpp"

namespace lrnn {

enum class TokenizerKind { Char, Word, Bpe, Unigram };

const char* to_string(TokenizerKind kind);

// The number files record for a kind (checkpoints, state files, token stores): 0 char,
// 1 word, 2 bpe, 3 unigram; kind_from_code is false for any other number.
std::uint32_t tokenizer_kind_code(TokenizerKind kind);
bool kind_from_code(std::uint32_t code, TokenizerKind& kind);

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

    // bpe / unigram: trained on a training text (a bounded seeded sample of it, see
    // data/subword_model.hpp), or from a SentencePiece model's bytes (a checkpoint's, a
    // user's data.tokenizer_path). UserError as SubwordModel says.
    static Tokenizer train_subword(std::string_view training_text, const SubwordTraining& settings);
    // From the training text's sample alone (SubwordModel::train_on_sample).
    static Tokenizer train_subword_on_sample(std::span<const std::string_view> sample, const SubwordTraining& settings);
    // build_word over a text handed out in blocks (next() fills `block`, false at the end),
    // each cut after a '\n' (or at the text's end): no word spans two blocks, so the vocabulary
    // is build_word's of the whole text.
    static Tokenizer build_word_from_blocks(const std::function<bool(std::string_view& block)>& next);
    static Tokenizer from_sentencepiece(std::string model_proto, const std::string& context);

    TokenizerKind kind() const { return kind_; }
    int vocab_size() const;
    bool is_subword() const { return subword_ != nullptr; }
    // The id text falls into when the vocabulary lacks it: kUnk for word; none for char (an
    // unknown byte is an error) and for bpe / unigram (byte fallback: nothing is unknown).
    std::optional<TokenId> unk_id() const {
        return kind_ == TokenizerKind::Word ? std::optional<TokenId>(kUnk) : std::nullopt;
    }

    // Text to ids. Char: a byte outside the vocabulary throws UserError naming the byte value
    // and its position (context names the text's source); Word: unknown words become <unk>
    // and are counted in *unknown_words when given. *token_bytes, when given, receives the
    // number of bytes of `text` behind each id (1 for a char; for a word, its own length, also
    // for one that became <unk> or was cut at the longest word, plus any dropped '\r' before
    // it): bits per byte are counted over the text, not over a decoding that writes "<unk>".
    // `first_position`: where `text` starts in the text `context` names (a block of a corpus
    // tokenized block by block), so that a message gives the position in the whole.
    std::vector<TokenId> encode(std::string_view text, const std::string& context = "text",
                                std::size_t* unknown_words = nullptr,
                                std::vector<std::uint32_t>* token_bytes = nullptr,
                                std::size_t first_position = 0) const;
    std::string decode(std::span<const TokenId> ids) const;
    std::string decode_one(TokenId id) const;
    // The bytes of one token, a view into the vocabulary ("" for an id outside it).
    std::string_view token_bytes(TokenId id) const;

    const std::vector<std::uint8_t>& chars() const { return chars_; }
    const std::vector<std::string>& words() const { return words_; }
    // bpe / unigram: the serialized SentencePiece model, the tokenizer's whole state ("" otherwise).
    std::string_view sentencepiece_model() const;

    bool operator==(const Tokenizer& other) const {
        return kind_ == other.kind_ && chars_ == other.chars_ && words_ == other.words_ &&
               sentencepiece_model() == other.sentencepiece_model();
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
    std::shared_ptr<const SubwordModel> subword_;  // bpe / unigram (immutable, shared by copies)
};

}  // namespace lrnn
