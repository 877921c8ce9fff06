#pragma once
// --sweep key=v1,v2,v3: one config becomes several variants, the cross product of every
// sweep's values (Hydra's multirun idea). The first --sweep varies slowest, so the variants
// come out in the order a person reading the command line expects.

#include <string>
#include <utility>
#include <vector>

namespace lrnn {

struct SweepAxis {
    std::string key;                  // a schema key, e.g. "train.lr"
    std::vector<std::string> values;  // as written, e.g. {"1e-3", "3e-3"}
};

// One variant: (key, value as written) for each axis, in axis order.
using SweepVariant = std::vector<std::pair<std::string, std::string>>;

// Parses "key=v1,v2,...". UserError on bad syntax, an unknown key (with a did-you-mean),
// keys compare sets itself (run.name, run.dir), empty or repeated values.
SweepAxis parse_sweep(const std::string& spec);

inline constexpr std::size_t kMaxSweepVariants = 1000;

// The cross product, first axis outermost. No axes: one empty variant. UserError if two
// axes name the same key, or if the product has more than kMaxSweepVariants variants.
std::vector<SweepVariant> expand_sweeps(const std::vector<SweepAxis>& axes);

// The value as the config prints it (YAML text, strings unquoted): "1e-3" -> "0.001".
// The value as written if it does not parse for that key (the run will then fail and say why).
std::string canonical_value(const std::string& key, const std::string& value);

}  // namespace lrnn
