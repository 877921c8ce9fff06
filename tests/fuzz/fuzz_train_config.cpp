// The training recipe's YAML config (config/train_config.hpp) with key=value overrides and
// validation, as `lrnn train CONFIG key=value...` loads it; and the same text as a
// checkpoint's stored config is parsed at resume.
//
// Input: the YAML document, optionally followed by a line "#--" and one override per line.
// A config that loads must survive the round trip a run makes of it: its resolved YAML
// (to_yaml, what config.yaml and every checkpoint store) parses back to the same config.

#include "config/train_config.hpp"
#include "fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace lrnn;
    const fuzz::DocumentAndOverrides input = fuzz::split_overrides(fuzz::as_text(data, size));
    const std::string path = fuzz::scratch().write("config.yaml", input.document);
    fuzz::expect_only_user_errors([&] {
        const TrainConfig config = load_train_config({path, input.overrides});
        const std::string resolved = to_yaml(config);
        TrainConfig again;
        try {
            again = parse_train_config_text(resolved, "resolved config");
        } catch (const UserError& e) {
            fuzz::finding(std::string("a config that loads does not parse back from its own YAML: ") + e.what() +
                          "\n--- resolved YAML:\n" + resolved);
        }
        fuzz::require(to_yaml(again) == resolved, "the resolved YAML parses back to the same config");
    });
    fuzz::expect_only_user_errors([&] { (void)parse_train_config_text(input.document, "stored config"); });
    return 0;
}
