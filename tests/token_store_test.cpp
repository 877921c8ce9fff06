// Token stores (io/token_store.hpp, docs/formats.md "Token stores"): ids round-trip in both
// widths through a memory-mapped file; every kind of damage to the header or the ids, and a
// store made from another vocabulary or text, is refused with a message naming the file.

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "error_of.hpp"
#include "io/checksum.hpp"
#include "io/mapped_file.hpp"
#include "io/token_store.hpp"
#include "temp_dir.hpp"

namespace lrnn {
namespace {

using test::error_of;

const TokenStoreSource kSource{0x1111222233334444ULL, 0x5555666677778888ULL, 1234};

std::string view_error(const std::string& bytes) {
    return error_of([&] { TokenStoreView(std::span<const char>(bytes.data(), bytes.size()), "s.tokens"); });
}

// The header checksum made right again after a deliberate change (to reach the checks behind it).
void reseal_header(std::string& bytes) {
    const std::uint32_t crc = crc32c(bytes.data(), 60);
    std::memcpy(bytes.data() + 60, &crc, 4);
}

TEST(TokenStore, IdsRoundTripInBothWidths) {
    const std::vector<TokenId> ids = {0, 1, 60, 7, 7, 59};
    const std::string narrow = encode_token_store(ids, 61, kSource);
    EXPECT_EQ(narrow.size(), 64u + 2 * ids.size()) << "uint16 when the vocabulary fits";
    EXPECT_EQ(narrow.substr(0, 8), "LRNNTOKS");
    const TokenStoreView v(std::span<const char>(narrow.data(), narrow.size()), "s");
    EXPECT_EQ(v.size(), ids.size());
    EXPECT_EQ(v.header().id_bytes, 2u);
    EXPECT_EQ(v.header().vocab_size, 61u);
    EXPECT_EQ(v.header().source, kSource);
    std::vector<TokenId> back(ids.size());
    v.copy(0, back);
    EXPECT_EQ(back, ids);
    std::vector<TokenId> middle(3);
    v.copy(2, middle);
    EXPECT_EQ(middle, (std::vector<TokenId>{60, 7, 7}));
    EXPECT_THROW(v.copy(4, middle), std::out_of_range);

    const std::vector<TokenId> big = {0, 65535, 65536, 69999};
    const std::string wide = encode_token_store(big, 70000, kSource);
    EXPECT_EQ(wide.size(), 64u + 4 * big.size()) << "uint32 beyond 65,536";
    const TokenStoreView w(std::span<const char>(wide.data(), wide.size()), "s");
    EXPECT_EQ(w.header().id_bytes, 4u);
    for (std::size_t i = 0; i < big.size(); ++i) EXPECT_EQ(w[i], big[i]);
    EXPECT_EQ(encode_token_store(std::vector<TokenId>{65535}, 65536, kSource).size(), 66u) << "65,536 ids fit uint16";

    EXPECT_THROW(encode_token_store(std::vector<TokenId>{61}, 61, kSource), std::invalid_argument);
}

TEST(TokenStore, AMappedFileIsCheckedAndMatchedToItsSource) {
    const test::TempDir dir;
    const std::string path = dir.file("corpus.tokens");
    const std::vector<TokenId> ids = {3, 1, 4, 1, 5, 9, 2, 6};
    write_token_store(path, ids, 10, kSource);
    const TokenStore store = TokenStore::open(path, kSource);
    EXPECT_EQ(store.ids().size(), ids.size());
    EXPECT_EQ(store.ids()[5], 9);
    EXPECT_EQ(store.path(), path);

    TokenStoreSource other_vocab = kSource;
    other_vocab.vocabulary_fingerprint ^= 1;
    EXPECT_NE(error_of([&] { TokenStore::open(path, other_vocab); }).find(path + ": stale token store: made with another vocabulary"),
              std::string::npos);
    TokenStoreSource other_text = kSource;
    other_text.text_bytes += 1;
    EXPECT_NE(error_of([&] { TokenStore::open(path, other_text); }).find("stale token store: made from another text"),
              std::string::npos);
    EXPECT_NE(error_of([&] { TokenStore::open(dir.file("missing.tokens"), kSource); }).find("missing.tokens: cannot open"),
              std::string::npos);
    EXPECT_NE(error_of([&] { TokenStore::open(dir.path().string(), kSource); }).find("not a regular file"),
              std::string::npos);
    test::write_text(dir.file("empty.tokens"), "");
    EXPECT_NE(error_of([&] { TokenStore::open(dir.file("empty.tokens"), kSource); }).find("file ends early"),
              std::string::npos);

    // A moved MappedFile keeps its mapping; the moved-from one holds none.
    MappedFile a = MappedFile::open(path);
    const char* data = a.bytes().data();
    MappedFile b = std::move(a);
    EXPECT_EQ(b.bytes().data(), data);
    EXPECT_TRUE(a.bytes().empty());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
}

TEST(TokenStore, DamageIsDetected) {
    const std::vector<TokenId> ids = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const std::string good = encode_token_store(ids, 61, kSource);
    ASSERT_EQ(view_error(good), "");

    std::string bad = good;
    bad[0] = 'X';
    EXPECT_NE(view_error(bad).find("s.tokens: not a token store (bad magic)"), std::string::npos);

    bad = good;
    bad[8] = 2;  // version 2
    EXPECT_NE(view_error(bad).find("token store version 2, this build reads version 1"), std::string::npos);

    bad = good;
    bad[12] = 3;  // id_bytes 3
    EXPECT_NE(view_error(bad).find("id_bytes is 3"), std::string::npos);

    bad = good;
    bad[40] ^= 0x10;  // the source fingerprint: only the header checksum sees it
    EXPECT_NE(view_error(bad).find("header checksum mismatch"), std::string::npos) << view_error(bad);

    bad = good;
    bad[good.size() - 1] ^= 0x01;  // one id
    EXPECT_NE(view_error(bad).find("token ids checksum mismatch"), std::string::npos) << view_error(bad);

    EXPECT_NE(view_error(good.substr(0, good.size() - 2)).find("cut short or damaged"), std::string::npos);
    EXPECT_NE(view_error(good + "xx").find("cut short or damaged"), std::string::npos);
    EXPECT_NE(view_error(good.substr(0, 30)).find("file ends early"), std::string::npos);

    bad = good;
    const std::uint64_t huge = ~std::uint64_t(0) / 2 + 5;  // count * 2 would overflow
    std::memcpy(bad.data() + 16, &huge, 8);
    reseal_header(bad);
    EXPECT_NE(view_error(bad).find("cut short or damaged"), std::string::npos) << view_error(bad);

    // Checksums right, an id outside the vocabulary: refused all the same.
    bad = good;
    const std::uint32_t small_vocab = 5;
    std::memcpy(bad.data() + 24, &small_vocab, 4);
    reseal_header(bad);
    EXPECT_NE(view_error(bad).find("token 5 is 5, outside the vocabulary [0, 5)"), std::string::npos) << view_error(bad);
}

TEST(TokenStore, TheFuzzSeedsAreValidStores) {
    for (const char* name : {"uint16-61.tokens", "uint32-70000.tokens"}) {
        const std::string bytes =
            test::read_text(std::string(LRNN_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_token_store/" + name);
        ASSERT_FALSE(bytes.empty()) << name;
        EXPECT_EQ(view_error(bytes), "") << name;
        const TokenStoreView v(std::span<const char>(bytes.data(), bytes.size()), name);
        std::vector<TokenId> ids(v.size());
        v.copy(0, ids);
        EXPECT_EQ(ids, (std::vector<TokenId>{0, 5, 17, 60, 3, 3, 42})) << name;
        EXPECT_EQ(encode_token_store(ids, int(v.header().vocab_size), v.header().source), bytes)
            << name << ": make_corpus.cpp writes the same bytes";
    }
}

TEST(TokenStore, VocabularyFingerprintSeesEveryDifference) {
    const Tokenizer a = Tokenizer::build_char("abc");
    EXPECT_EQ(vocabulary_fingerprint(a), vocabulary_fingerprint(Tokenizer::build_char("cab")));
    EXPECT_NE(vocabulary_fingerprint(a), vocabulary_fingerprint(Tokenizer::build_char("abd")));
    EXPECT_NE(vocabulary_fingerprint(Tokenizer::from_words({"<unk>", "ab", "c"})),
              vocabulary_fingerprint(Tokenizer::from_words({"<unk>", "a", "bc"})));
    EXPECT_NE(vocabulary_fingerprint(a), vocabulary_fingerprint(Tokenizer::build_word("abc")));
}

}  // namespace
}  // namespace lrnn
