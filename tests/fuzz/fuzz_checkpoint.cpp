// Training checkpoints (io/checkpoint.hpp), and a checkpoint given where a model is expected
// (io/model_loader.hpp).
//
// Each input is read twice: as it is, and with the header's payload size and both CRC-32C
// checksums made to fit the bytes. Mutated bytes almost never keep a checksum right, so
// without the second read the fuzzer would stop at "checksum mismatch" and never reach the
// records behind it.

#include <cstring>

#include "fuzz_harness.hpp"
#include "io/checkpoint.hpp"
#include "io/checksum.hpp"
#include "io/model_loader.hpp"
#include "model/parameters.hpp"

namespace {

// The header layout of docs/checkpoints.md: magic(8) version(4) flags(4) payload size(8)
// payload CRC(4) header CRC(4).
constexpr std::size_t kHeaderBytes = 32;

std::string with_fitting_header(std::string bytes) {
    if (bytes.size() < kHeaderBytes) return bytes;
    const std::uint64_t payload_size = bytes.size() - kHeaderBytes;
    std::memcpy(bytes.data() + 16, &payload_size, 8);
    const std::uint32_t payload_crc = lrnn::crc32c(bytes.data() + kHeaderBytes, payload_size);
    std::memcpy(bytes.data() + 24, &payload_crc, 4);
    const std::uint32_t header_crc = lrnn::crc32c(bytes.data(), kHeaderBytes - 4);
    std::memcpy(bytes.data() + 28, &header_crc, 4);
    return bytes;
}

void check(const lrnn::Checkpoint& c) {
    const std::size_t P = lrnn::ParameterLayout(c.model).total_size();
    lrnn::fuzz::require(c.params.size() == P && c.adam.m.size() == P && c.adam.v.size() == P,
                        "parameters and both AdamW moments have the model's size");
    lrnn::fuzz::require(c.tokenizer.vocab_size() == c.model.vocab_size,
                        "the vocabulary has vocab_size entries");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const auto& scratch = fuzz::scratch();
    const std::string as_given = scratch.write("as-given.ckpt", fuzz::as_text(data, size));
    fuzz::expect_only_user_errors([&] {
        (void)is_checkpoint_file(as_given);
        check(read_checkpoint(as_given));
    });
    const std::string fitted =
        scratch.write("fitted.ckpt", with_fitting_header(std::string(fuzz::as_text(data, size))));
    fuzz::expect_only_user_errors([&] { check(read_checkpoint(fitted)); });
    fuzz::expect_only_user_errors([&] {
        const LoadedModel model = load_model(fitted);
        fuzz::require(model.params.values.size() == model.params.layout.total_size(),
                      "the loaded parameters fill the layout");
    });
    return 0;
}
