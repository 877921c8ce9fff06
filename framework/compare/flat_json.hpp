#pragma once
// Reading the flat JSON objects a run writes (metrics.jsonl lines, summary.json): string keys
// mapped to numbers, strings, booleans or null. Nested objects and arrays are refused: the
// trainer never writes them, so meeting one means the file is not what we think it is.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lrnn {

struct FlatJsonValue {
    enum class Kind { Null, Number, String, Boolean };
    Kind kind = Kind::Null;
    double number = 0;   // Number (also 1/0 for Boolean)
    std::string text;    // String: the decoded text; Number: the token as written
};

using FlatJsonObject = std::map<std::string, FlatJsonValue>;

// Parses one object; UserError starting with `where` on malformed input.
FlatJsonObject parse_flat_json_object(std::string_view json, const std::string& where);

// The number under `key`, or nothing when the key is absent or null (the trainer writes
// non-finite numbers as null). UserError if the key holds a string, or a number that no run
// writes: every number of metrics.jsonl and summary.json is finite and >= 0 (1e400 reads as
// infinity; a negative loss would win every "best").
std::optional<double> json_number_field(const FlatJsonObject& object, const std::string& key,
                                        const std::string& where);

}  // namespace lrnn
