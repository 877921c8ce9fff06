// Token store manifests (io/token_manifest.hpp): any bytes given as manifest.json. A manifest
// the parser accepts encodes back to a text that parses to the same manifest.

#include "fuzz_harness.hpp"
#include "io/token_manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const std::string_view text = fuzz::as_text(data, size);
    fuzz::expect_only_user_errors([&] {
        const TokenManifest m = parse_token_manifest(text, "manifest.json");
        fuzz::require(m.train_bytes <= m.text_bytes, "the training part lies inside the text");
        const std::string again = encode_token_manifest(m);
        const TokenManifest back = parse_token_manifest(again, "manifest.json (re-encoded)");
        fuzz::require(back.key == m.key && back.stores == m.stores && back.text_fingerprint == m.text_fingerprint &&
                          back.vocabulary_fingerprint == m.vocabulary_fingerprint && back.tokenizer == m.tokenizer &&
                          back.train_tokens == m.train_tokens && back.val_tokens == m.val_tokens && back.name == m.name,
                      "re-encodes to the same manifest");
        fuzz::require(encode_token_manifest(back) == again, "encoding is stable");
    });
    return 0;
}
