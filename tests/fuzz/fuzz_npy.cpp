// NumPy .npy files (io/npy.hpp).

#include <limits>

#include "fuzz_harness.hpp"
#include "io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const std::string path = fuzz::scratch().write("array.npy", fuzz::as_text(data, size));
    fuzz::expect_only_user_errors([&] {
        const NpyArray array = read_npy(path);
        // The element count, without wrapping around: a shape whose product overflows must not
        // pass as a small array.
        long double count = 1;
        for (const std::size_t n : array.shape) count *= static_cast<long double>(n);
        fuzz::require(count == static_cast<long double>(array.data.size()),
                      "the shape's product is the number of values read");
    });
    return 0;
}
