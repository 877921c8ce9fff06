#pragma once
// A tokenizer's vocabulary as JSON: tokenizer.json beside an export (lrnn export) and the
// "tokenizer" entry of a safetensors file's metadata, so an exported model carries what it
// needs to read and write text.
//
//   char: {"kind": "char", "vocab_size": N, "bytes_by_id": [10, 32, 33, ...]}
//   word: {"kind": "word", "vocab_size": N, "words_by_id": ["<unk>", "<pad>", " ", ...]}
//
// A word whose bytes are not well-formed UTF-8 (a Latin-1 corpus, a word cut at 63 bytes in
// the middle of a character) cannot be a JSON string; it is written as an array of its byte
// values instead, so every vocabulary round-trips exactly.

#include <string>

#include "core/json.hpp"
#include "data/tokenizer.hpp"

namespace lrnn {

// UserError for a tokenizer kind that has no JSON form here (`what` names the command).
Json tokenizer_to_json(const Tokenizer& tokenizer, const std::string& what);

// The inverse; UserError starting with `where` for anything that is not such an object.
Tokenizer tokenizer_from_json(const Json& json, const std::string& where);

}  // namespace lrnn
