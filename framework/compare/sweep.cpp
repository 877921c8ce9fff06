#include "compare/sweep.hpp"

#include <set>

#include "compare/value_text.hpp"
#include "config/train_config.hpp"
#include "core/error.hpp"

namespace lrnn {

std::string canonical_value(const std::string& key, const std::string& value) {
    TrainConfig scratch;
    try {
        apply_overrides(scratch, {key + "=" + value});
        return display_value(config_value(scratch, key));
    } catch (const UserError&) {
        return value;
    }
}

SweepAxis parse_sweep(const std::string& spec) {
    const std::string where = "--sweep '" + spec + "': ";
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UserError(where + "expected key=v1,v2,... (e.g. --sweep train.lr=1e-3,3e-3)");
    SweepAxis axis;
    axis.key = spec.substr(0, eq);
    const std::vector<std::string> keys = config_keys();
    bool known = false;
    for (const auto& k : keys) known = known || k == axis.key;
    if (!known) {
        const std::string guess = closest_key(axis.key);
        throw UserError(where + "unknown key '" + axis.key + "'" +
                        (guess.empty() ? " (see docs/config.md for the keys)" : " (did you mean '" + guess + "'?)"));
    }
    if (axis.key == "run.name" || axis.key == "run.dir")
        throw UserError(where + "compare names and places each run itself (compare/NAME/runs/VARIANT); "
                        "sweep other keys");
    const std::string list = spec.substr(eq + 1);
    if (list.empty()) throw UserError(where + "no values after '=' (e.g. " + axis.key + "=a,b)");
    std::set<std::string> seen;
    std::size_t start = 0;
    for (int item = 1;; ++item) {
        const auto comma = list.find(',', start);
        const std::string value = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (value.empty())
            throw UserError(where + "value " + std::to_string(item) + " is empty (values are separated by single commas)");
        // 1e-3 and 0.001 are the same run: compare what the config would hold.
        if (!seen.insert(canonical_value(axis.key, value)).second)
            throw UserError(where + "value '" + value + "' is given twice");
        axis.values.push_back(value);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return axis;
}

std::vector<SweepVariant> expand_sweeps(const std::vector<SweepAxis>& axes) {
    std::set<std::string> keys;
    for (const auto& a : axes)
        if (!keys.insert(a.key).second)
            throw UserError("--sweep: key '" + a.key + "' is swept twice; give all its values in one --sweep");
    // Each variant is a training run: a cross product in the thousands is a typo, not a plan
    // (and would be planned for minutes before anything is shown). Counted before building it.
    double count = 1;
    for (const auto& a : axes) count *= double(a.values.size());
    if (count > double(kMaxSweepVariants))
        throw UserError("--sweep: the cross product has " + shortest_number_text(count) +
                        " variants, at most " + std::to_string(kMaxSweepVariants) +
                        " per compare: sweep fewer values, or split it into several compares");
    std::vector<SweepVariant> variants{SweepVariant{}};
    for (const auto& axis : axes) {
        std::vector<SweepVariant> next;
        next.reserve(variants.size() * axis.values.size());
        for (const auto& v : variants)
            for (const auto& value : axis.values) {
                SweepVariant grown = v;
                grown.emplace_back(axis.key, value);
                next.push_back(std::move(grown));
            }
        variants = std::move(next);
    }
    return variants;
}

}  // namespace lrnn
