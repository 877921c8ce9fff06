// Generation state files (io/state_file.hpp): decoded, checked against the model they must
// belong to, and, when they do belong to it, restored into a generator that then draws a
// token from the loaded logits (a state file's floats feed the sampler directly).
//
// Each input is decoded twice: as it is, and with its trailing CRC-32C made to fit, so the
// fuzzer gets past the checksum to the fields behind it. The seed corpus holds states of
// tests/fuzz/tiny_model.hpp's char model, the model checked against here.

#include <cstring>

#include "core/rng.hpp"
#include "fuzz_harness.hpp"
#include "generate/generator.hpp"
#include "generate/sampler.hpp"
#include "io/checksum.hpp"
#include "generate/generator_state.hpp"
#include "io/state_file.hpp"
#include "tiny_model.hpp"

namespace {

std::vector<char> with_fitting_checksum(std::vector<char> bytes) {
    if (bytes.size() < 4) return bytes;
    const std::uint32_t crc = lrnn::crc32c(bytes.data(), bytes.size() - 4);
    std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
    return bytes;
}

void decode_and_use(const std::vector<char>& bytes) {
    using namespace lrnn;
    const SavedState saved = decode_state_file(bytes, "state.lrnnstate");
    fuzz::require(saved.logits.size() == std::size_t(saved.model.config.vocab_size),
                  "one logit per vocabulary entry");
    const Parameters<float> params = fuzz::tiny_parameters(6);
    const ModelFingerprint expected = fingerprint_model(params, fuzz::tiny_char_tokenizer());
    check_same_model(saved.model, expected, "state.lrnnstate");
    Generator generator(params, default_prompt_chunk(params.config()));
    restore_state(generator, saved);
    Sampler sampler(params.config().vocab_size, SamplingOptions{});
    Rng rng(1);
    const TokenId token = generator.next(sampler, rng);
    fuzz::require(int(token) >= 0 && int(token) < params.config().vocab_size,
                  "the drawn token is in the vocabulary");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<char> bytes(data, data + size);
    lrnn::fuzz::expect_only_user_errors([&] { decode_and_use(bytes); });
    lrnn::fuzz::expect_only_user_errors([&] { decode_and_use(with_fitting_checksum(bytes)); });
    return 0;
}
