#pragma once
// A SentencePiece model (bpe or unigram) with byte fallback, used so that every byte sequence
// round-trips exactly: decode(encode(x)) == x for any bytes, valid UTF-8 or not.
//
// SentencePiece alone does not give that: it replaces invalid UTF-8 by U+FFFD, and decodes
// a literal U+2581 ("▁", its space marker) as a space. So encode() hands SentencePiece only
// valid UTF-8 lines without U+2581 and writes everything else (invalid bytes, U+2581, the
// newline) as byte pieces <0xXX>; decode is ours, piece by piece (docs/formats.md).
//
// The serialized model proto is the whole state: it is what checkpoints and RUN_DIR/tokenizer.model
// hold (io/ reads and writes those files; data/ never opens one).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/token_id.hpp"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace lrnn {

enum class SubwordAlgorithm { Bpe, Unigram };

// What SentencePiece training is given: the defaults and range of data.vocab_size live here.
struct SubwordTraining {
    SubwordAlgorithm algorithm = SubwordAlgorithm::Bpe;
    int vocab_size = 2048;
    std::uint64_t seed = 0;  // picks the sample of a corpus larger than kSampleBytes
};

inline constexpr int kMinSubwordVocab = 320;    // 256 byte pieces + <unk> + room to learn
inline constexpr int kMaxSubwordVocab = 65536;  // token ids fit in 16 bits
// At most this many bytes of the training part train the tokenizer (a seeded sample of whole
// 64 KiB blocks beyond it): enough text for a 64k vocabulary's statistics, small enough that
// training takes seconds, not the minutes a gigabyte would (docs/config.md).
inline constexpr std::size_t kSampleBytes = std::size_t(16) << 20;
inline constexpr std::size_t kSampleBlockBytes = std::size_t(64) << 10;

// The part of a training text of `text_size` bytes the tokenizer learns from: all of it up to
// kSampleBytes, else kSampleBytes / kSampleBlockBytes blocks drawn with the seed, in text order.
struct TextRange {
    std::size_t offset = 0, size = 0;
};
std::vector<TextRange> training_sample_ranges(std::size_t text_size, std::uint64_t seed);

class SubwordModel {
public:
    // Trains on `text` (the training part). Deterministic: the same text and settings give the
    // same model bytes, whatever the machine or train.threads (SentencePiece's own thread
    // count is fixed, because unigram's result depends on it). UserError for a vocabulary size
    // the text cannot fill or out of range.
    static std::shared_ptr<const SubwordModel> train(std::string_view text, const SubwordTraining& settings);
    // The same from the sample alone (the text at training_sample_ranges, in order): a
    // corpus streamed from disk hands over just these bytes.
    static std::shared_ptr<const SubwordModel> train_on_sample(std::span<const std::string_view> sample,
                                                               const SubwordTraining& settings);

    // From a serialized model proto; UserError (prefixed with `context`) for bytes that are no
    // model, a model without byte fallback (its <unk> would hide text), one that is neither
    // bpe nor unigram, or one whose normalizer changes text.
    static std::shared_ptr<const SubwordModel> from_proto(std::string proto, const std::string& context);

    ~SubwordModel();
    SubwordModel(const SubwordModel&) = delete;
    SubwordModel& operator=(const SubwordModel&) = delete;

    SubwordAlgorithm algorithm() const { return algorithm_; }
    const std::string& proto() const { return proto_; }
    int vocab_size() const { return int(piece_bytes_.size()); }

    // Appends the ids of `text` (and, when given, the bytes behind each id) to the vectors.
    void encode(std::string_view text, std::vector<TokenId>& ids, std::vector<std::uint32_t>* token_bytes) const;

    // The bytes a piece stands for ("" for <unk> and other control pieces).
    std::string_view piece_bytes(TokenId id) const { return piece_bytes_[std::size_t(id)]; }

private:
    SubwordModel() = default;
    void encode_line(std::string_view line, std::vector<TokenId>& ids, std::vector<std::uint32_t>* token_bytes) const;
    void encode_bytes(std::string_view bytes, std::vector<TokenId>& ids, std::vector<std::uint32_t>* token_bytes) const;

    std::string proto_;
    SubwordAlgorithm algorithm_ = SubwordAlgorithm::Bpe;
    std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
    std::vector<std::string> piece_bytes_;  // by id
    TokenId byte_ids_[256] = {};            // id of the byte piece <0xXX>
};

}  // namespace lrnn
