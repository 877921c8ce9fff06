// A run's metrics.jsonl as `lrnn compare` reads it (compare/run_reader.hpp): the run
// directory holds only this file, as an unfinished run does; its numbers are then computed.

#include "compare/run_reader.hpp"
#include "fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const auto& scratch = fuzz::scratch();
    scratch.write("run/metrics.jsonl", fuzz::as_text(data, size));
    fuzz::expect_only_user_errors([&] {
        const RunFiles files = read_run_files((scratch.path() / "run").string());
        (void)run_numbers(files);
    });
    return 0;
}
