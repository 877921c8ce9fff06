#pragma once
// JSON for every file and line lrnn writes or reads (metrics.jsonl, summary.json, compare's
// results.json, eval --json, bench --json): nlohmann-json, with two house rules kept in one place.
//   - Objects keep their insertion order (ordered_json): field order is part of the format.
//   - One line, "key": value pairs separated by ", " — the layout metrics.jsonl has always had,
//     so line-oriented scripts (grep '"step": 40') keep working. Strings and numbers are
//     formatted by the library: numbers in their shortest round-trip form, non-finite numbers
//     as null, and bytes that are not well-formed UTF-8 as U+FFFD (a char model's sample can cut
//     a character in two; a file name can be Latin-1).

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lrnn {

using Json = nlohmann::ordered_json;

// `value` as one line of JSON text in the layout above (no trailing newline).
std::string json_line(const Json& value);

// `value` as one line without spaces, {"loss":3.2,"tokens":47}: the layout of `lrnn eval
// --json` and `lrnn bench --json`, which scripts have read since they first printed it. Strings
// and numbers as in json_line.
std::string json_compact(const Json& value);

// Parses one JSON text; UserError "WHERE: not valid JSON (...)" if it is not.
Json parse_json(std::string_view text, const std::string& where);

}  // namespace lrnn
