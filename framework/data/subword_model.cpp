#include "data/subword_model.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <unordered_map>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/utf8.hpp"

namespace lrnn {

std::vector<TextRange> training_sample_ranges(std::size_t text_size, std::uint64_t seed) {
    if (text_size <= kSampleBytes) return {TextRange{0, text_size}};
    const std::size_t blocks = (text_size + kSampleBlockBytes - 1) / kSampleBlockBytes;
    std::vector<std::size_t> order(blocks);
    std::iota(order.begin(), order.end(), std::size_t(0));
    Rng rng(seed ^ 0x746f6b656e697a65ULL);  // "tokenize": its own stream, apart from the run's
    const std::size_t take = kSampleBytes / kSampleBlockBytes;
    for (std::size_t i = 0; i < take; ++i) std::swap(order[i], order[i + rng.below(blocks - i)]);
    order.resize(take);
    std::sort(order.begin(), order.end());
    std::vector<TextRange> sample;
    for (std::size_t b : order)
        sample.push_back(TextRange{b * kSampleBlockBytes, std::min(kSampleBlockBytes, text_size - b * kSampleBlockBytes)});
    return sample;
}

namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581, SentencePiece's space
// SentencePiece skips longer sentences; ours are cut below its default limit (4192 bytes).
constexpr std::size_t kMaxSentenceBytes = 4096;
// SentencePiece's trainer thread count, fixed: unigram's pieces differ between 1, 2 and 4
// threads (its expected counts are summed per thread), so the machine must not choose it.
constexpr const char* kTrainerThreads = "2";

// Calls piece(run, is_text) for the runs of `line` in order: is_text for well-formed UTF-8
// without U+2581 (what SentencePiece may see), otherwise bytes to write as byte pieces.
template <typename Piece>
void split_encodable(std::string_view line, Piece piece) {
    std::size_t start = 0, i = 0;
    while (i < line.size()) {
        const std::size_t n = utf8_sequence_length(line.substr(i));
        if (n > 0 && line.substr(i, n) != kSpaceMarker) {
            i += n;
            continue;
        }
        if (i > start) piece(line.substr(start, i - start), true);
        const std::size_t bad = n > 0 ? n : 1;
        piece(line.substr(i, bad), false);
        i += bad;
        start = i;
    }
    if (i > start) piece(line.substr(start, i - start), true);
}

// Splits at '\n' (the newline itself is not part of any line).
template <typename Line>
void split_lines(std::string_view text, Line line) {
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            line(text.substr(start), false);
            return;
        }
        line(text.substr(start, end - start), true);
        start = end + 1;
    }
}

// The part of the training text the tokenizer learns from: all of it up to kSampleBytes,
// else kSampleBytes / kSampleBlockBytes blocks drawn with the seed, kept in text order.
// The sentences SentencePiece trains on: the text runs encode() would hand it, cut to
// kMaxSentenceBytes at character boundaries.
std::vector<std::string> training_sentences(std::span<const std::string_view> sample) {
    std::vector<std::string> sentences;
    for (std::string_view part : sample) {
        split_lines(part, [&](std::string_view line, bool) {
            split_encodable(line, [&](std::string_view run, bool is_text) {
                if (!is_text) return;
                while (!run.empty()) {
                    std::size_t cut = std::min(run.size(), kMaxSentenceBytes);
                    while (cut < run.size() && (static_cast<unsigned char>(run[cut]) & 0xC0) == 0x80) --cut;
                    sentences.emplace_back(run.substr(0, cut));
                    run.remove_prefix(cut);
                }
            });
        });
    }
    return sentences;
}

class Sentences : public sentencepiece::SentenceIterator {
public:
    explicit Sentences(std::vector<std::string> sentences) : sentences_(std::move(sentences)) {}
    bool done() const override { return next_ >= sentences_.size(); }
    void Next() override { ++next_; }
    const std::string& value() const override { return sentences_[next_]; }
    sentencepiece::util::Status status() const override { return {}; }

private:
    std::vector<std::string> sentences_;
    std::size_t next_ = 0;
};

// TrainerSpec.model_type (field 3 of field 2 of ModelProto; 1 unigram, the default, 2 bpe,
// 3 word, 4 char), read from the protobuf wire format: the Debian package ships no
// generated header for the proto. 0 if the bytes do not parse that far.
int model_type(std::string_view proto) {
    const auto varint = [](std::string_view& s, std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64 && !s.empty(); shift += 7) {
            const auto b = static_cast<unsigned char>(s.front());
            s.remove_prefix(1);
            v |= std::uint64_t(b & 0x7F) << shift;
            if (!(b & 0x80)) return true;
        }
        return false;
    };
    // Finds field `number` (wire type 2 for a message, 0 for a varint) in a message.
    const auto field = [&](std::string_view s, std::uint64_t number, std::string_view* message,
                           std::uint64_t* value) {
        std::uint64_t key = 0, v = 0;
        while (!s.empty() && varint(s, key)) {
            const std::uint64_t wire = key & 7;
            if (wire == 0) {
                if (!varint(s, v)) return false;
                if ((key >> 3) == number && value) return *value = v, true;
            } else if (wire == 2) {
                if (!varint(s, v) || v > s.size()) return false;
                if ((key >> 3) == number && message) return *message = s.substr(0, v), true;
                s.remove_prefix(v);
            } else if (wire == 1 || wire == 5) {
                const std::size_t n = wire == 1 ? 8 : 4;
                if (s.size() < n) return false;
                s.remove_prefix(n);
            } else {
                return false;
            }
        }
        return false;
    };
    std::string_view trainer_spec;
    if (!field(proto, 2, &trainer_spec, nullptr)) return 1;
    std::uint64_t type = 1;
    field(trainer_spec, 3, nullptr, &type);
    return int(type);
}

}  // namespace

SubwordModel::~SubwordModel() = default;

std::shared_ptr<const SubwordModel> SubwordModel::train(std::string_view text, const SubwordTraining& s) {
    std::vector<std::string_view> sample;
    for (const TextRange& r : training_sample_ranges(text.size(), s.seed)) sample.push_back(text.substr(r.offset, r.size));
    return train_on_sample(sample, s);
}

std::shared_ptr<const SubwordModel> SubwordModel::train_on_sample(std::span<const std::string_view> sample,
                                                                  const SubwordTraining& s) {
    if (s.vocab_size < kMinSubwordVocab || s.vocab_size > kMaxSubwordVocab)
        throw UserError("data.vocab_size: " + std::to_string(s.vocab_size) + " is out of range for a " +
                        (s.algorithm == SubwordAlgorithm::Bpe ? "bpe" : "unigram") + " tokenizer (" +
                        std::to_string(kMinSubwordVocab) + " to " + std::to_string(kMaxSubwordVocab) + ")");
    Sentences sentences(training_sentences(sample));
    if (sentences.done()) throw UserError("the training part holds no text to train a tokenizer on");
    const std::unordered_map<std::string, std::string> options = {
        {"model_type", s.algorithm == SubwordAlgorithm::Bpe ? "bpe" : "unigram"},
        {"vocab_size", std::to_string(s.vocab_size)},
        {"byte_fallback", "true"},
        // Text goes in and comes out unchanged: no normalization, no added or merged spaces.
        {"normalization_rule_name", "identity"},
        {"add_dummy_prefix", "false"},
        {"remove_extra_whitespaces", "false"},
        {"split_digits", "false"},
        {"unk_id", "0"},
        {"bos_id", "-1"},
        {"eos_id", "-1"},
        {"pad_id", "-1"},
        // A small corpus yields fewer pieces than asked for rather than an error (unigram).
        {"hard_vocab_limit", "false"},
        // Our sample is already drawn (training_sample): SentencePiece takes all of it, in order.
        {"input_sentence_size", "0"},
        {"shuffle_input_sentence", "false"},
        {"max_sentence_length", std::to_string(kMaxSentenceBytes + 96)},
        {"num_threads", kTrainerThreads},
        {"minloglevel", "2"},
    };
    std::string proto;
    const auto status = sentencepiece::SentencePieceTrainer::Train(options, &sentences, &proto);
    if (!status.ok())
        throw UserError(std::string("training the ") + options.at("model_type") + " tokenizer (data.vocab_size " +
                        std::to_string(s.vocab_size) + ") failed: " + status.ToString() +
                        (s.vocab_size > 1000 ? "; a smaller data.vocab_size may fit this corpus" : ""));
    return from_proto(std::move(proto), "the trained tokenizer");
}

std::shared_ptr<const SubwordModel> SubwordModel::from_proto(std::string proto, const std::string& context) {
    std::shared_ptr<SubwordModel> m(new SubwordModel());
    m->processor_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
    const auto status = m->processor_->LoadFromSerializedProto(proto);
    if (!status.ok()) throw UserError(context + ": not a SentencePiece model (" + status.ToString() + ")");
    const int type = model_type(proto);
    if (type != 1 && type != 2)
        throw UserError(context + ": a SentencePiece " + (type == 3 ? "word" : type == 4 ? "char" : "unknown-type") +
                        " model; lrnn takes bpe or unigram models");
    m->algorithm_ = type == 2 ? SubwordAlgorithm::Bpe : SubwordAlgorithm::Unigram;
    const int n = m->processor_->GetPieceSize();
    if (n <= 0 || n > kMaxSubwordVocab)
        throw UserError(context + ": " + std::to_string(n) + " pieces (lrnn takes 1 to " +
                        std::to_string(kMaxSubwordVocab) + ")");
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        const int id = m->processor_->PieceToId(name);
        if (id < 0 || id >= n || !m->processor_->IsByte(id))
            throw UserError(context + ": the model has no byte fallback (no piece " + name +
                            "), so some text would become <unk>; train it with --byte_fallback=true");
        m->byte_ids_[b] = TokenId(id);
    }
    m->piece_bytes_.resize(std::size_t(n));
    for (int id = 0; id < n; ++id) {
        std::string& out = m->piece_bytes_[std::size_t(id)];
        if (m->processor_->IsByte(id)) {
            const std::string& piece = m->processor_->IdToPiece(id);  // "<0xXX>"
            out.assign(1, char(std::stoi(piece.substr(3, 2), nullptr, 16)));
        } else if (!m->processor_->IsControl(id) && !m->processor_->IsUnknown(id)) {
            const std::string& piece = m->processor_->IdToPiece(id);
            for (std::size_t i = 0; i < piece.size();) {
                if (piece.compare(i, kSpaceMarker.size(), kSpaceMarker) == 0) {
                    out += ' ';
                    i += kSpaceMarker.size();
                } else {
                    out += piece[i++];
                }
            }
        }
    }
    m->proto_ = std::move(proto);
    // A normalizer that changes text (NFKC, an added leading space, merged spaces) would break
    // decode(encode(x)) == x; encode() would then fall back to bytes line after line.
    const std::string probe = "  Ab  c\t\xEF\xAC\x81 \xEF\xBC\xA1 x  ";  // with U+FB01 and U+FF21
    std::vector<int> ids;
    std::string back;
    if (m->processor_->Encode(probe, &ids).ok())
        for (int id : ids) back += m->piece_bytes_[std::size_t(id)];
    if (back != probe)
        throw UserError(context + ": the model's normalizer changes text (it was trained with a normalization "
                        "rule other than identity, add_dummy_prefix or remove_extra_whitespaces), so text would "
                        "not come back as it was; train it with --normalization_rule_name=identity "
                        "--add_dummy_prefix=false --remove_extra_whitespaces=false");
    return m;
}

void SubwordModel::encode_bytes(std::string_view bytes, std::vector<TokenId>& ids,
                                std::vector<std::uint32_t>* token_bytes) const {
    for (unsigned char b : bytes) {
        ids.push_back(byte_ids_[b]);
        if (token_bytes) token_bytes->push_back(1);
    }
}

void SubwordModel::encode_line(std::string_view line, std::vector<TokenId>& ids,
                               std::vector<std::uint32_t>* token_bytes) const {
    std::vector<int> pieces;
    split_encodable(line, [&](std::string_view run, bool is_text) {
        if (!is_text) return encode_bytes(run, ids, token_bytes);
        pieces.clear();
        std::size_t covered = 0;
        bool exact = processor_->Encode(run, &pieces).ok();
        for (std::size_t i = 0; exact && i < pieces.size(); ++i) {
            const std::string_view piece = piece_bytes_[std::size_t(pieces[i])];
            exact = covered + piece.size() <= run.size() && run.compare(covered, piece.size(), piece) == 0;
            covered += piece.size();
        }
        // Never expected (the normalizer was checked): bytes keep the text exact regardless.
        if (!exact || covered != run.size()) return encode_bytes(run, ids, token_bytes);
        for (int id : pieces) {
            ids.push_back(TokenId(id));
            if (token_bytes) token_bytes->push_back(std::uint32_t(piece_bytes_[std::size_t(id)].size()));
        }
    });
}

void SubwordModel::encode(std::string_view text, std::vector<TokenId>& ids,
                          std::vector<std::uint32_t>* token_bytes) const {
    split_lines(text, [&](std::string_view line, bool newline) {
        encode_line(line, ids, token_bytes);
        if (newline) encode_bytes("\n", ids, token_bytes);
    });
}

}  // namespace lrnn
