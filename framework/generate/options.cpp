#include "generate/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include <yaml-cpp/yaml.h>

#include "core/error.hpp"
#include "core/text.hpp"

namespace lrnn {

namespace {

std::string unknown_key_message(const std::string& key) {
    std::string best;
    std::size_t best_distance = 3;  // suggest only near misses
    for (const std::string_view k : kGenerateSettingKeys) {
        const std::size_t dist = edit_distance(key, std::string(k));
        if (dist < best_distance) best = k, best_distance = dist;
    }
    std::string message = "unknown setting generate." + key;
    if (!best.empty()) message += " (did you mean generate." + best + "?)";
    message += "; known: ";
    for (const std::string_view k : kGenerateSettingKeys) message += std::string(k) + " ";
    message.pop_back();
    return message;
}

}  // namespace

void GenerateSettings::validate() const {
    if (tokens < 0) throw UserError("tokens must be >= 0, got " + std::to_string(tokens));
    sampling.validate();
}

std::int64_t parse_integer(const std::string& value, const std::string& what) {
    std::int64_t out = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, out);
    if (value.empty() || ec != std::errc() || ptr != end)
        throw UserError(what + ": '" + value + "' is not an integer");
    return out;
}

std::uint64_t parse_unsigned(const std::string& value, const std::string& what) {
    std::uint64_t out = 0;
    const char* end = value.data() + value.size();
    const auto [ptr, ec] = std::from_chars(value.data(), end, out);
    if (value.empty() || ec != std::errc() || ptr != end)
        throw UserError(what + ": '" + value + "' is not a non-negative integer (0 to 2^64-1)");
    return out;
}

double parse_number(const std::string& value, const std::string& what) {
    // strtod, not from_chars: it also reads "1e-3" and ".5" the way users write them.
    char* end = nullptr;
    const double out = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(out))
        throw UserError(what + ": '" + value + "' is not a finite number");
    return out;
}

void apply_generate_setting(GenerateSettings& s, const std::string& key, const std::string& value,
                            const std::string& source) {
    const std::string what = "generate." + key + " (from " + source + ")";
    // Ranges are checked here, where the message can say where the value came from.
    const auto require = [&](bool ok, const char* range) {
        if (!ok) throw UserError(what + ": must be " + range + ", got '" + value + "'");
    };
    if (key == "tokens") {
        s.tokens = parse_integer(value, what);
        require(s.tokens >= 0, ">= 0 (0 = only read the prompt)");
    } else if (key == "temperature") {
        s.sampling.temperature = parse_number(value, what);
        require(s.sampling.temperature >= 0, ">= 0 (0 = greedy)");
    } else if (key == "top_k") {
        s.sampling.top_k = parse_integer(value, what);
        require(s.sampling.top_k >= 0, ">= 0 (0 = off)");
    } else if (key == "top_p") {
        s.sampling.top_p = parse_number(value, what);
        require(s.sampling.top_p > 0 && s.sampling.top_p <= 1, "in (0, 1] (1 = off)");
    }
    else if (key == "prompt") s.prompt = value;
    // -1 is the training config's "random" (config.md): no fixed seed, one is drawn and printed.
    else if (key == "seed") s.seed = value == "-1" ? std::nullopt : std::optional(parse_unsigned(value, what));
    else if (key == "weights") {
        const auto precision = parse_weight_precision(value);
        if (!precision) throw UserError(what + ": '" + value + "' is not one of: float32, bf16");
        s.weights = *precision;
    } else throw UserError(source + ": " + unknown_key_message(key));
}

void apply_generate_override(GenerateSettings& s, const std::string& assignment) {
    const std::size_t eq = assignment.find('=');
    if (eq == std::string::npos)
        throw UserError("'" + assignment + "' is not a key=value override");
    const std::string key = assignment.substr(0, eq);
    const std::string prefix = "generate.";
    if (key.rfind(prefix, 0) != 0)
        throw UserError("override '" + assignment + "': lrnn generate only takes generate.* keys (" +
                        "e.g. generate.tokens=100); the model's shape comes from the model file");
    apply_generate_setting(s, key.substr(prefix.size()), assignment.substr(eq + 1),
                           "override " + key);
}

void apply_generate_yaml(GenerateSettings& s, const std::string& yaml_text, const std::string& source,
                         std::vector<std::string>* warnings) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
        throw UserError(source + ": not valid YAML: " + e.what());
    }
    if (!root || root.IsNull()) return;
    if (!root.IsMap()) throw UserError(source + ": expected a YAML mapping at the top level");
    const auto line_of = [&](const YAML::Node& n) { return source + ":" + std::to_string(n.Mark().line + 1) + ": "; };
    // yaml-cpp keeps both of two equal keys: refuse them rather than let one win silently.
    int sections = 0;
    for (const auto& top : root)
        if (top.first.IsScalar() && top.first.Scalar() == "generate" && ++sections == 2)
            throw UserError(line_of(top.first) + "'generate' appears twice");
    const YAML::Node section = root["generate"];
    if (!section || section.IsNull()) return;
    if (!section.IsMap()) throw UserError(source + ": 'generate' must be a mapping of settings");
    std::set<std::string> seen;
    for (const auto& item : section) {
        if (!item.first.IsScalar())
            throw UserError(line_of(item.first) + "a key of the 'generate' section must be a plain name, not a list or mapping");
        const std::string key = item.first.Scalar();
        if (!seen.insert(key).second) throw UserError(line_of(item.first) + "'generate." + key + "' appears twice");
        if (std::find(kGenerateSettingKeys.begin(), kGenerateSettingKeys.end(), key) ==
            kGenerateSettingKeys.end()) {
            if (warnings) warnings->push_back(source + ": ignoring " + unknown_key_message(key));
            continue;
        }
        if (item.second.IsNull())
            throw UserError(line_of(item.first) + "generate." + key + " has no value; give one or leave the key out");
        if (!item.second.IsScalar())
            throw UserError(line_of(item.first) + "generate." + key + " must be a single value, not a list or mapping");
        apply_generate_setting(s, key, item.second.Scalar(), source);
    }
}

std::string default_prompt(const Tokenizer& tokenizer) {
    if (tokenizer.kind() != TokenizerKind::Char) return "\n";  // word and subword vocabularies hold it
    const auto& chars = tokenizer.chars();
    if (std::find(chars.begin(), chars.end(), std::uint8_t('\n')) != chars.end()) return "\n";
    return chars.empty() ? std::string() : std::string(1, char(chars.front()));
}

}  // namespace lrnn
