// Token files (io/token_file.hpp): `lrnn debug --tokens FILE`, checked against the vocabulary
// of tests/data/char-small (61 entries).

#include "fuzz_harness.hpp"
#include "io/token_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    constexpr int kVocabSize = 61;
    const std::string path = fuzz::scratch().write("tokens.txt", fuzz::as_text(data, size));
    fuzz::expect_only_user_errors([&] {
        const std::vector<TokenId> ids = read_token_file(path, kVocabSize);
        fuzz::require(!ids.empty(), "at least one id");
        for (const TokenId id : ids)
            fuzz::require(int(id) >= 0 && int(id) < kVocabSize, "every id is in the vocabulary");
    });
    return 0;
}
