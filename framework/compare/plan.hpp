#pragma once
// From the command line to the list of runs: which inputs are configs, run directories or
// overrides; the sweep's variants; each run's name, directory, `lrnn train` arguments and
// the config it will have. Everything a user can get wrong for the compare as a whole (bad
// sweep syntax, unknown keys, a run directory without metrics, ...) is a UserError here,
// before anything trains; a variant whose own config is invalid is not: it is planned with
// its error and reported as failed.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compare/compare_options.hpp"
#include "config/train_config.hpp"

namespace lrnn {

struct PlannedRun {
    std::string name;     // column header; for trained runs the run directory's name too
    std::string run_dir;  // absolute
    bool train = false;   // false: an existing run directory, only read
    std::string config_path;
    std::vector<std::string> overrides;  // every key=value for `lrnn train CONFIG ...`
    std::optional<TrainConfig> expected;  // the config the run will have (valid configs only)
    std::string config_error;             // why the variant's config is invalid ("" = valid)
    std::map<std::string, std::string> config;  // key -> value as text, as far as known
};

struct ComparePlan {
    std::string name;
    std::string out_dir;   // ROOT/NAME, absolute
    std::string runs_dir;  // out_dir/runs
    std::vector<PlannedRun> runs;
    std::string budget_text;  // "6 steps per run", "60 s per run", "" = as each config says
};

ComparePlan plan_compare(const CompareOptions& options);

}  // namespace lrnn
