// Token stores (io/token_store.hpp): the header, the checksums and the ids of any bytes. A
// store the view accepts holds exactly `count` ids, each inside its vocabulary, and the same
// ids encode back to the same bytes. Opened with the header check alone, every id copied is
// still inside the vocabulary.

#include "fuzz_harness.hpp"
#include "io/token_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const std::string_view bytes = fuzz::as_text(data, size);
    // A start opens a big store with its header checked alone: copying then range-checks ids.
    fuzz::expect_only_user_errors([&] {
        const TokenStoreView quick(std::span<const char>(bytes.data(), bytes.size()), "store", TokenStoreCheck::Header);
        fuzz::require(kTokenStoreHeaderBytes + quick.header().count * quick.header().id_bytes == size, "the size is the header's");
        std::vector<TokenId> ids(quick.size());
        quick.copy(0, ids);
        for (const TokenId id : ids) fuzz::require(id >= 0 && std::uint32_t(id) < quick.header().vocab_size, "ids in the vocabulary");
    });
    fuzz::expect_only_user_errors([&] {
        const TokenStoreView view(std::span<const char>(bytes.data(), bytes.size()), "store");
        const TokenStoreHeader& h = view.header();
        fuzz::require(kTokenStoreHeaderBytes + h.count * h.id_bytes == size, "the size is the header's");
        std::vector<TokenId> ids(view.size());
        view.copy(0, ids);
        for (const TokenId id : ids) fuzz::require(id >= 0 && std::uint32_t(id) < h.vocab_size, "ids in the vocabulary");
        // A store this build writes for these ids uses the same width only for vocabularies it
        // would choose it for; the bytes match when it does.
        if ((h.vocab_size <= 65536) == (h.id_bytes == 2))
            fuzz::require(encode_token_store(ids, int(h.vocab_size), h.source) == bytes, "re-encodes to the same bytes");
    });
    return 0;
}
