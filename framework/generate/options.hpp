#pragma once
// The settings of `lrnn generate`, and where they come from. Later sources win:
//   1. built-in defaults (below)
//   2. the `generate` section of the model's own resolved config (checkpoints, run dirs)
//   3. the `generate` section of a YAML file given on the command line
//   4. key=value overrides (generate.tokens=100)
//   5. flags (--tokens 100)
// Every value is parsed strictly: "abc" for an integer, or "1.5x" for a number, is a
// UserError naming the key, the value and where it came from.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/tokenizer.hpp"
#include "generate/generator.hpp"
#include "generate/sampler.hpp"

namespace lrnn {

struct GenerateSettings {
    std::int64_t tokens = 200;          // tokens to generate (per turn when interactive); 0 = none
    SamplingOptions sampling;           // temperature 0.8, top_k 0 (off), top_p 0.95
    std::optional<std::string> prompt;  // unset: default_prompt(tokenizer)
    std::optional<std::uint64_t> seed;  // unset: one from std::random_device, printed
    WeightPrecision weights = WeightPrecision::Float32;  // of the one-token steps

    // Throws UserError for a value out of range.
    void validate() const;
};

// The keys of the `generate` section.
inline constexpr std::array<std::string_view, 7> kGenerateSettingKeys = {
    "tokens", "temperature", "top_k", "top_p", "prompt", "seed", "weights"};

// One setting by key (without the "generate." prefix); `source` names where the value came
// from in messages ("--tokens", "config.yaml"). Unknown key: UserError with a suggestion.
void apply_generate_setting(GenerateSettings& settings, const std::string& key,
                            const std::string& value, const std::string& source);

// "generate.KEY=VALUE" from the command line. Only generate.* keys mean anything here.
void apply_generate_override(GenerateSettings& settings, const std::string& assignment);

// The `generate` section of a YAML document (text), if it has one. Unknown keys are not an
// error here, only a warning appended to *warnings: the same YAML may serve training, whose
// schema can carry sampling keys of its own. Malformed YAML or wrong value types are errors.
void apply_generate_yaml(GenerateSettings& settings, const std::string& yaml_text,
                         const std::string& source, std::vector<std::string>* warnings);

// "\n" when the vocabulary has it (char) / always (word: a special token); otherwise the
// first character of the char vocabulary.
std::string default_prompt(const Tokenizer& tokenizer);

// Strict parsers shared by the recipes: the whole string must be the number.
std::int64_t parse_integer(const std::string& value, const std::string& what);
std::uint64_t parse_unsigned(const std::string& value, const std::string& what);
double parse_number(const std::string& value, const std::string& what);

}  // namespace lrnn
