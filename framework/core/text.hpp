#pragma once
// Small text helpers for messages: making untrusted bytes safe to print, and the near-miss
// distance behind "did you mean ...?".

#include <cstddef>
#include <string>
#include <string_view>

namespace lrnn {

// `text` safe to print on a terminal as one line: control characters (C0, DEL and the C1
// range U+0080..U+009F, newlines included) and every byte that is not part of well-formed
// UTF-8 become \xNN (two lower-case hex digits); well-formed printable UTF-8 (Russian, CJK,
// ...) is kept as it is. Error messages quote the user's input (a token, a YAML value, a
// file name), and raw bytes could otherwise move the cursor, recolour or garble the terminal.
std::string printable(std::string_view text);

// The Levenshtein distance (insertions, deletions and substitutions of one byte each).
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace lrnn
