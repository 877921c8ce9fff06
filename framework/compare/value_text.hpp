#pragma once
// Config values as people read them: config_value() gives YAML text, where strings are
// double-quoted ("char"); tables and directory names want the plain text (char).

#include <string>

namespace lrnn {

// YAML scalar text -> plain text (double-quoted strings decoded, everything else as is).
std::string display_value(const std::string& yaml_text);

// Text safe to print in a terminal table: control characters (a newline in a prompt, an escape
// sequence in a swept value) become visible escapes (\n, \t, \x1b) instead of acting.
std::string terminal_text(const std::string& text);

// A finite number in its shortest exact form, integers without a decimal point: 5, 0.5, 1e+300.
std::string shortest_number_text(double v);

}  // namespace lrnn
