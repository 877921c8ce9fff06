// A finished run's summary.json as `lrnn compare` reads it (compare/run_reader.hpp), next
// to a well-formed metrics.jsonl; the run's numbers then come from the summary.

#include "compare/run_reader.hpp"
#include "fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const auto& scratch = fuzz::scratch();
    scratch.write("run/metrics.jsonl",
                  "{\"step\": 10, \"epoch\": 0, \"lr\": 0.002, \"loss\": 3.5, \"grad_norm\": 1.25, "
                  "\"tokens\": 640, \"skipped_steps\": 0, \"tokens_per_s\": 5000, \"elapsed_s\": 0.5, "
                  "\"val_loss\": 3.25, \"val_ppl\": 25.8, \"val_bpc\": 4.69}\n");
    scratch.write("run/summary.json", fuzz::as_text(data, size));
    fuzz::expect_only_user_errors([&] {
        const RunFiles files = read_run_files((scratch.path() / "run").string());
        (void)run_numbers(files);
    });
    return 0;
}
