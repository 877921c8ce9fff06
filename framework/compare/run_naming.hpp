#pragma once
// Names of compare outputs and of the variant run directories (docs/compare.md):
//   compare/NAME/runs/STEM__LEAF=VALUE__LEAF=VALUE
// STEM is the config file's stem, LEAF the swept key's last part (the whole key when two
// sweeps share a last part, e.g. run.seed and generate.seed), VALUE the value as the config
// prints it (1e-3 -> 0.001). Every character outside [A-Za-z0-9._+=-] becomes '_', so a name
// is one safe path component whatever the values hold; long names are cut and end in a hash
// of the full name, so they stay unique and under file-name limits.

#include <string>
#include <vector>

#include "compare/sweep.hpp"

namespace lrnn {

inline constexpr std::size_t kMaxRunNameLength = 120;

// One path component: unsafe characters replaced, no leading '.', not empty, not too long.
std::string safe_name(const std::string& text);

// How each swept key is spelt in names: its last part, or the full key when ambiguous.
std::vector<std::string> sweep_labels(const std::vector<SweepAxis>& axes);

// STEM__LABEL=VALUE... for one variant (labels from sweep_labels, values canonical).
std::string variant_name(const std::string& stem, const std::vector<std::string>& labels,
                         const SweepVariant& variant);

// Makes names unique in order: the second "x" becomes "x-2", the third "x-3".
std::vector<std::string> unique_names(const std::vector<std::string>& names);

// The default compare NAME: the inputs' stems joined by "_vs_", made safe.
std::string default_compare_name(const std::vector<std::string>& inputs);

// What an input is called: a config file without its extension, a run folder by its whole
// name (its dots are not an extension: runs/lr=0.001 is "lr=0.001").
std::string input_name(const std::string& input);

// UserError unless `name` is usable as --name (one safe path component).
void check_compare_name(const std::string& name);

}  // namespace lrnn
