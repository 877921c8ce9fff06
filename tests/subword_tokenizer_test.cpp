// The bpe and unigram tokenizers (SentencePiece with byte fallback): exact round trips of any
// bytes (English, Russian, Chinese, invalid UTF-8, SentencePiece's own space marker), no
// <unk>, bytes behind each token adding up, deterministic training, refusal of models that
// would lose text, the model inside a checkpoint, and streaming whole UTF-8 characters.

#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include <fstream>
#include <numeric>
#include <unordered_map>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/text.hpp"
#include "core/utf8.hpp"
#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "io/checkpoint.hpp"
#include "io/state_file.hpp"
#include "model/parameters.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

const std::string kEnglish = "First Citizen:\nBefore we proceed any further, hear me speak.\n\tAll:  Speak, speak.\r\n";
const std::string kRussian = "Привет, мир! Съешь же ещё этих мягких французских булок.\n";
const std::string kChinese = "你好，世界。我们继续前进吧！\n";
// Invalid UTF-8 of every kind: stray bytes, cut-short sequences, a surrogate, beyond U+10FFFF.
const std::string kInvalid = "a\xff\xfe b\xc3 \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 end\xc3";

std::string shakespeare(std::size_t bytes) {
    std::ifstream in(std::string(LRNN_SOURCE_DIR) + "/data/tinyshakespeare.txt", std::ios::binary);
    std::string text(bytes, '\0');
    in.read(text.data(), std::streamsize(bytes));
    text.resize(std::size_t(in.gcount()));
    return text;
}

// A training text with some Russian and Chinese in it, so that pieces of each are learned.
std::string mixed_text() {
    std::string text = shakespeare(60000);
    for (int i = 0; i < 40; ++i) text += kRussian + kChinese;
    return text;
}

const Tokenizer& trained(TokenizerKind kind) {
    static const Tokenizer bpe = Tokenizer::train_subword(mixed_text(), {.algorithm = SubwordAlgorithm::Bpe, .vocab_size = 512});
    static const Tokenizer unigram =
        Tokenizer::train_subword(mixed_text(), {.algorithm = SubwordAlgorithm::Unigram, .vocab_size = 512});
    return kind == TokenizerKind::Bpe ? bpe : unigram;
}

class Subword : public ::testing::TestWithParam<TokenizerKind> {};

TEST_P(Subword, RoundTripsAnyBytesExactlyWithoutUnk) {
    const Tokenizer& t = trained(GetParam());
    EXPECT_EQ(t.kind(), GetParam());
    EXPECT_EQ(t.vocab_size(), 512);
    Rng rng(7);
    std::string random_bytes(3000, '\0');
    for (char& c : random_bytes) c = char(rng.below(256));
    const std::string marker = "a\xE2\x96\x81 b \xE2\x96\x81\xE2\x96\x81";  // literal U+2581
    const std::string long_line(10000, 'x');
    for (const std::string& text : {kEnglish, kRussian, kChinese, kInvalid, random_bytes, marker, long_line,
                                    std::string(), std::string("\n\n"), std::string("\0\0", 2)}) {
        std::vector<std::uint32_t> token_bytes;
        const std::vector<TokenId> ids = t.encode(text, "test", nullptr, &token_bytes);
        EXPECT_EQ(t.decode(ids), text) << printable(text);
        ASSERT_EQ(token_bytes.size(), ids.size());
        EXPECT_EQ(std::accumulate(token_bytes.begin(), token_bytes.end(), std::size_t(0)), text.size());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            EXPECT_NE(ids[i], 0) << "<unk> in " << printable(text);
            EXPECT_EQ(t.token_bytes(ids[i]).size(), token_bytes[i]);
        }
    }
}

TEST_P(Subword, LearnsPiecesLongerThanABytePerToken) {
    const Tokenizer& t = trained(GetParam());
    const std::string text = shakespeare(20000);
    // 512 pieces, 256 of them bytes: still well over 1.5 bytes per token on average.
    EXPECT_LT(t.encode(text).size(), text.size() * 2 / 3);
    EXPECT_LT(t.encode(kRussian).size(), kRussian.size() * 2 / 3);
}

TEST_P(Subword, TrainingIsDeterministic) {
    const SubwordTraining settings{.algorithm = GetParam() == TokenizerKind::Bpe ? SubwordAlgorithm::Bpe
                                                                                 : SubwordAlgorithm::Unigram,
                                   .vocab_size = 512};
    const Tokenizer again = Tokenizer::train_subword(mixed_text(), settings);
    EXPECT_EQ(again.sentencepiece_model(), trained(GetParam()).sentencepiece_model());
    EXPECT_TRUE(again == trained(GetParam()));
}

TEST_P(Subword, LoadsFromItsOwnBytes) {
    const Tokenizer& t = trained(GetParam());
    const Tokenizer back = Tokenizer::from_sentencepiece(std::string(t.sentencepiece_model()), "test");
    EXPECT_TRUE(back == t);
    EXPECT_EQ(back.encode(kRussian), t.encode(kRussian));
}

TEST_P(Subword, CheckpointCarriesTheModel) {
    const Tokenizer& t = trained(GetParam());
    test::TempDir dir;
    Checkpoint c;
    c.model = test::tiny_config();
    c.model.vocab_size = t.vocab_size();
    c.config_yaml = "run:\n  name: \"subword\"\n";
    c.tokenizer = t;
    c.params.assign(ParameterLayout(c.model).total_size(), 0.25f);
    c.adam.m.assign(c.params.size(), 0.0f);
    c.adam.v.assign(c.params.size(), 0.0f);
    const std::string path = (dir.path() / "s.ckpt").string();
    write_checkpoint(path, c);
    const Checkpoint r = read_checkpoint(path);
    EXPECT_TRUE(r.tokenizer == t);
    EXPECT_EQ(r.tokenizer.kind(), GetParam());
    EXPECT_EQ(r.tokenizer.decode(r.tokenizer.encode(kChinese)), kChinese);
}

INSTANTIATE_TEST_SUITE_P(BpeAndUnigram, Subword, ::testing::Values(TokenizerKind::Bpe, TokenizerKind::Unigram),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(SubwordTokenizer, StateFileChecksumTellsModelsApart) {
    EXPECT_NE(vocabulary_checksum(trained(TokenizerKind::Bpe)), vocabulary_checksum(trained(TokenizerKind::Unigram)));
}

TEST(SubwordTokenizer, RefusesVocabularySizesOutOfRange) {
    for (int size : {kMinSubwordVocab - 1, kMaxSubwordVocab + 1}) {
        try {
            Tokenizer::train_subword(kEnglish, {.vocab_size = size});
            FAIL() << size;
        } catch (const UserError& e) {
            EXPECT_NE(std::string(e.what()).find("data.vocab_size"), std::string::npos) << e.what();
        }
    }
}

TEST(SubwordTokenizer, RefusesBytesThatAreNoModel) {
    try {
        Tokenizer::from_sentencepiece("not a model at all", "m.model");
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("m.model: not a SentencePiece model"), std::string::npos) << e.what();
    }
}

// A model that loses text: trained the default SentencePiece way (no byte fallback, NFKC).
std::string sentencepiece_model(const std::unordered_map<std::string, std::string>& extra) {
    struct Lines : sentencepiece::SentenceIterator {
        std::vector<std::string> lines;
        std::size_t i = 0;
        bool done() const override { return i >= lines.size(); }
        void Next() override { ++i; }
        const std::string& value() const override { return lines[i]; }
        sentencepiece::util::Status status() const override { return {}; }
    } lines;
    std::istringstream in(shakespeare(30000));
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.lines.push_back(line);
    std::unordered_map<std::string, std::string> options = {{"model_type", "bpe"}, {"vocab_size", "400"},
                                                            {"minloglevel", "2"}};
    for (const auto& [k, v] : extra) options[k] = v;
    std::string proto;
    EXPECT_TRUE(sentencepiece::SentencePieceTrainer::Train(options, &lines, &proto).ok());
    return proto;
}

TEST(SubwordTokenizer, RefusesAModelWithoutByteFallback) {
    try {
        Tokenizer::from_sentencepiece(sentencepiece_model({}), "plain.model");
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("no byte fallback"), std::string::npos) << e.what();
    }
}

TEST(SubwordTokenizer, RefusesAModelWhoseNormalizerChangesText) {
    try {
        Tokenizer::from_sentencepiece(sentencepiece_model({{"byte_fallback", "true"}}), "nfkc.model");
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("normalizer changes text"), std::string::npos) << e.what();
    }
}

TEST(SubwordTokenizer, CorpusTrainsOnTheTrainingPartOnly) {
    // The validation part holds Chinese the training part never has: its pieces must not be learned.
    const std::string text = shakespeare(30000);
    std::string tail;
    while (tail.size() < 6000) tail += kChinese;
    const Corpus c = make_corpus(text + tail, "mixed", "bpe", double(tail.size()) / double(text.size() + tail.size()),
                                 nullptr, {.vocab_size = 400});
    EXPECT_EQ(c.tokenizer.kind(), TokenizerKind::Bpe);
    for (TokenId id = 0; id < c.tokenizer.vocab_size(); ++id)
        EXPECT_EQ(c.tokenizer.token_bytes(id).find("你"), std::string_view::npos);
    EXPECT_EQ(c.tokenizer.decode(c.val_tokens).size(), c.bytes - c.train_bytes);
}

TEST(Utf8Stream, HoldsBackAnIncompleteCharacterUntilItCompletes) {
    Utf8Stream s;
    EXPECT_EQ(s.push("a\xD0"), "a");
    EXPECT_EQ(s.push("\x9F"), "\xD0\x9F");
    EXPECT_EQ(s.push("\xE4"), "");
    EXPECT_EQ(s.push("\xBD"), "");
    EXPECT_EQ(s.push("\xA0!"), "\xE4\xBD\xA0!");
    EXPECT_EQ(s.push("\xF0\x9F"), "");
    EXPECT_EQ(s.finish(), 2u);  // dropped at the end: never half a character
    EXPECT_EQ(s.push("x"), "x");
}

TEST(Utf8Stream, PassesBytesThatCanNeverBecomeACharacter) {
    Utf8Stream s;
    EXPECT_EQ(s.push("\xFF"), "\xFF");
    EXPECT_EQ(s.push("\xE0\x80"), "\xE0\x80");  // overlong: no continuation can make it valid
    EXPECT_EQ(s.push("\xC3\x41"), "\xC3\x41");
    EXPECT_EQ(utf8_incomplete_tail("\xF0\x41\xC3"), 1u);
    EXPECT_EQ(utf8_incomplete_tail("ok"), 0u);
    EXPECT_EQ(utf8_incomplete_tail("\xE2\x96"), 2u);
}

}  // namespace
}  // namespace lrnn
