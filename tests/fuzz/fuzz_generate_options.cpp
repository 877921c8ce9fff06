// The settings of `lrnn generate` (generate/options.hpp): the `generate` section of a YAML
// file (the model's stored config, or one given on the command line), then generate.*
// overrides, then the range check.
//
// Input: the YAML document, optionally followed by a line "#--" and one override per line.

#include "fuzz_harness.hpp"
#include "generate/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const fuzz::DocumentAndOverrides input = fuzz::split_overrides(fuzz::as_text(data, size));
    fuzz::expect_only_user_errors([&] {
        GenerateSettings settings;
        std::vector<std::string> warnings;
        apply_generate_yaml(settings, input.document, "generate.yaml", &warnings);
        for (const std::string& assignment : input.overrides) apply_generate_override(settings, assignment);
        settings.validate();
    });
    return 0;
}
