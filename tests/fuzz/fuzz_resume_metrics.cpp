// metrics.jsonl at `lrnn train --resume` (io/run_directory.hpp, truncate_metrics): the rows
// logged after the checkpoint's step are dropped, and so is a line cut short by a kill.
// Whatever the file holds, what is kept must be whole lines of it.

#include "fuzz_harness.hpp"
#include "io/run_directory.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    constexpr std::int64_t kCheckpointStep = 40;  // the seed corpus logs steps 10, 20, ... 100
    const std::string_view input = fuzz::as_text(data, size);
    const std::string path = fuzz::scratch().write("metrics.jsonl", input);
    fuzz::expect_only_user_errors([&] {
        truncate_metrics(path, kCheckpointStep);
        std::ifstream in(path, std::ios::binary);
        const std::string kept{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        fuzz::require(kept.empty() || kept.back() == '\n', "the kept rows end with a newline");
        std::size_t start = 0;
        while (start < kept.size()) {
            const std::size_t end = kept.find('\n', start) + 1;
            const std::string_view line = std::string_view(kept).substr(start, end - start);
            fuzz::require(input.substr(0, line.size()) == line || input.find("\n" + std::string(line)) != std::string_view::npos,
                          "every kept row is a whole line of the file");
            start = end;
        }
    });
    return 0;
}
