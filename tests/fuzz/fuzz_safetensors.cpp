// libFuzzer target: the safetensors reader (io/safetensors.hpp) on arbitrary bytes. A
// malformed file must end in UserError, never a crash, a read past the buffer or an
// allocation from an untrusted size.

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/error.hpp"
#include "io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        lrnn::parse_safetensors(std::span(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    } catch (const lrnn::UserError&) {
    }
    return 0;
}
