#pragma once
// Reading the flat JSON objects a run writes (metrics.jsonl lines, summary.json) with core/json:
// string keys mapped to numbers, strings, booleans or null. Nested objects and arrays are
// refused: the trainer never writes them, so meeting one means the file is not what we think it is.

#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"

namespace lrnn {

// Parses one flat object. UserError starting with `where`: "WHERE: malformed JSON (...)", or,
// for a number too large for a double (1e400), "WHERE: "KEY" is out of range, ...".
Json parse_flat_json_object(std::string_view text, const std::string& where);

// The number under `key`, or nothing when the key is absent or null (the trainer writes
// non-finite numbers as null). UserError if the key holds anything else, or a number that no
// run writes: every number of metrics.jsonl and summary.json is finite and >= 0 (a negative
// loss would win every "best").
std::optional<double> json_number_field(const Json& object, const std::string& key, const std::string& where);

}  // namespace lrnn
