#include "compare/plan.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>

#include "compare/run_naming.hpp"
#include "compare/run_reader.hpp"
#include "compare/sweep.hpp"
#include "compare/value_text.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "io/output_folder.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

std::string key_of(const std::string& assignment) { return assignment.substr(0, assignment.find('=')); }

void check_override(const std::string& item) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
        throw UserError("'" + item + "' is neither an existing config file or run directory nor a key.path=value override");
    const std::string key = item.substr(0, eq);
    const auto keys = config_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        // A misspelt path to a config file is the likelier mistake when it ends in .yaml.
        const std::string guess = closest_key(key);
        throw UserError("override '" + item + "': unknown key '" + key + "'" +
                        (guess.empty() ? " (and no such file or directory)" : " (did you mean '" + guess + "'?)"));
    }
    if (key == "run.name" || key == "run.dir")
        throw UserError("override '" + item + "': compare names and places each run itself "
                        "(compare/NAME/runs/VARIANT); use --name and --dir for the compare's folder");
}

void check_budget(const CompareOptions& options) {
    if (options.budget_s && options.steps)
        throw UserError("give --budget SECONDS or --steps N, not both: the runs need one equal budget");
    if (options.budget_s && !(*options.budget_s > 0 && std::isfinite(*options.budget_s)))
        throw UserError("--budget must be a finite positive number of seconds, got " +
                        (std::isnan(*options.budget_s) ? std::string("nan")
                         : std::isinf(*options.budget_s) ? std::string("inf")
                                                         : shortest_number_text(*options.budget_s)));
    if (options.steps && *options.steps < 1)
        throw UserError("--steps must be at least 1, got " + std::to_string(*options.steps));
}

// The command line's arguments, sorted: existing files are configs, existing folders run
// directories, the rest key=value overrides.
struct SortedArguments {
    std::vector<std::string> inputs;
    std::vector<bool> is_config;  // per input
    std::vector<std::string> overrides;
};

SortedArguments sort_arguments(const CompareOptions& options) {
    SortedArguments sorted;
    for (const std::string& arg : options.arguments) {
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            if (!has_metrics(arg)) (void)read_run_files(arg);  // throws the "no metrics" error
            sorted.inputs.push_back(arg), sorted.is_config.push_back(false);
        } else if (fs::is_regular_file(arg, ec)) {
            sorted.inputs.push_back(arg), sorted.is_config.push_back(true);
        } else if (fs::exists(arg, ec)) {
            throw UserError(arg + ": neither a config file nor a run directory");
        } else {
            check_override(arg);
            sorted.overrides.push_back(arg);
        }
    }
    if (sorted.inputs.empty())
        throw UserError("nothing to compare: give config files (trained now) and/or run directories (read)");
    const bool any_config = std::find(sorted.is_config.begin(), sorted.is_config.end(), true) != sorted.is_config.end();
    if (!any_config && (!options.sweeps.empty() || !sorted.overrides.empty() || options.budget_s || options.steps))
        throw UserError("--sweep, --budget, --steps and key=value overrides apply to config files, "
                        "and every input here is a run directory");
    return sorted;
}

// What the command line sets for every run, and what compare adds: the equal budget, and all
// threads for each run (fair timings) unless the user chose train.threads.
std::vector<std::string> common_overrides(const CompareOptions& options, const std::vector<std::string>& overrides,
                                          const std::vector<SweepAxis>& axes, ComparePlan& plan) {
    auto set_by_user = [&](const std::string& key) {
        for (const auto& o : overrides)
            if (key_of(o) == key) return true;
        for (const auto& a : axes)
            if (a.key == key) return true;
        return false;
    };
    std::vector<std::string> common = overrides;
    if (options.budget_s) {
        if (set_by_user("train.max_seconds")) throw UserError("--budget and train.max_seconds both set the time budget; give one");
        common.push_back("train.max_seconds=" + shortest_number_text(*options.budget_s));
        plan.budget_text = shortest_number_text(*options.budget_s) + " s per run";
    }
    if (options.steps) {
        if (set_by_user("train.max_steps")) throw UserError("--steps and train.max_steps both set the step budget; give one");
        common.push_back("train.max_steps=" + std::to_string(*options.steps));
        plan.budget_text = std::to_string(*options.steps) + " steps per run";
    }
    if (!set_by_user("train.threads")) common.push_back("train.threads=0");
    return common;
}

// The compare rewrites its own folder: an input run inside it could be deleted and retrained
// under the input's name.
void check_inputs_outside(const SortedArguments& args, const std::string& out_dir) {
    for (std::size_t i = 0; i < args.inputs.size(); ++i) {
        if (args.is_config[i]) continue;
        std::error_code ec;
        const fs::path input = fs::weakly_canonical(fs::absolute(args.inputs[i]), ec);
        const fs::path out = fs::weakly_canonical(fs::path(out_dir), ec);
        const auto [end, rest] = std::mismatch(out.begin(), out.end(), input.begin(), input.end());
        if (end == out.end())
            throw UserError("input " + args.inputs[i] + " lies inside this compare's own folder " + out_dir +
                            ", which the compare rewrites: copy it elsewhere first, or choose another --name");
    }
}

// The config values to show for a variant whose config is invalid: the config without the
// variant's values (`base`, if that loads), with as much of the variant applied as applies.
std::map<std::string, std::string> values_of_invalid_variant(const std::optional<TrainConfig>& base,
                                                             const SweepVariant& variant) {
    std::map<std::string, std::string> values;
    if (base) {
        values = config_values(*base);
        TrainConfig partial = *base;
        try {
            std::vector<std::string> sweep_part;
            for (const auto& [key, value] : variant) sweep_part.push_back(key + "=" + value);
            apply_overrides(partial, sweep_part);
            return config_values(partial);
        } catch (const UserError&) {
        }
    }
    for (const auto& [key, value] : variant) values[key] = value;  // as written
    return values;
}

// One variant of a config file, trained into runs_dir/name.
PlannedRun planned_variant(const std::string& input, const std::vector<std::string>& common,
                           const SweepVariant& variant, const std::string& name, const std::string& runs_dir,
                           const std::optional<TrainConfig>& base) {
    PlannedRun run;
    run.train = true;
    run.name = name;
    run.run_dir = runs_dir + "/" + run.name;
    // Absolute: a name like "-x.yaml" would otherwise reach the child as an option.
    run.config_path = fs::absolute(input).lexically_normal().string();
    run.overrides = common;
    for (const auto& [key, value] : variant) run.overrides.push_back(key + "=" + value);
    // run.dir/run.name quoted: a JSON string is a YAML double-quoted scalar, so any path
    // arrives as written.
    run.overrides.push_back("run.dir=" + json_line(Json(runs_dir)));
    run.overrides.push_back("run.name=" + json_line(Json(run.name)));
    try {
        run.expected = load_train_config({run.config_path, run.overrides});
        run.config = config_values(*run.expected);
    } catch (const UserError& e) {
        run.config_error = e.what();
        run.config = values_of_invalid_variant(base, variant);
    }
    return run;
}

// A run directory given as input: read, not trained.
PlannedRun planned_read(const std::string& input, const std::string& name) {
    PlannedRun run;
    run.name = name;
    run.run_dir = fs::absolute(input).lexically_normal().string();
    if (!run.run_dir.empty() && run.run_dir.back() == '/') run.run_dir.pop_back();
    return run;
}

}  // namespace

ComparePlan plan_compare(const CompareOptions& options) {
    check_budget(options);
    const SortedArguments args = sort_arguments(options);
    std::vector<SweepAxis> axes;
    for (const std::string& spec : options.sweeps) axes.push_back(parse_sweep(spec));
    const std::vector<SweepVariant> variants = expand_sweeps(axes);
    const std::vector<std::string> labels = sweep_labels(axes);

    ComparePlan plan;
    const std::vector<std::string> common = common_overrides(options, args.overrides, axes, plan);
    plan.name = options.name.empty() ? default_compare_name(args.inputs) : options.name;
    check_compare_name(plan.name);
    check_output_folder_parent(options.root, "--dir");
    plan.out_dir = fs::absolute(fs::path(options.root) / plan.name).lexically_normal().string();
    plan.runs_dir = plan.out_dir + "/runs";
    check_inputs_outside(args, plan.out_dir);

    // Names first (they must be unique across all inputs), then the runs.
    std::vector<std::string> names;
    for (std::size_t i = 0; i < args.inputs.size(); ++i) {
        if (!args.is_config[i]) {
            names.push_back(input_name(args.inputs[i]));
            continue;
        }
        for (const SweepVariant& v : variants)
            names.push_back(variant_name(safe_name(input_name(args.inputs[i])), labels, v));
    }
    names = unique_names(names);

    std::size_t at = 0;
    for (std::size_t i = 0; i < args.inputs.size(); ++i) {
        if (!args.is_config[i]) {
            plan.runs.push_back(planned_read(args.inputs[i], names[at++]));
            continue;
        }
        std::optional<TrainConfig> base;  // for showing what a failed variant held
        try {
            base = load_train_config({args.inputs[i], common});
        } catch (const UserError&) {
        }
        const std::size_t first_variant = plan.runs.size();
        for (const SweepVariant& v : variants)
            plan.runs.push_back(planned_variant(args.inputs[i], common, v, names[at++], plan.runs_dir, base));
        // Not one variant of this config is valid (a bad override for all, an override of a
        // swept key): that is bad input, refused before anything trains or a report is replaced.
        if (std::all_of(plan.runs.begin() + std::ptrdiff_t(first_variant), plan.runs.end(),
                        [](const PlannedRun& r) { return !r.config_error.empty(); }))
            throw UserError(args.inputs[i] + ": no variant is a valid config: " + plan.runs[first_variant].config_error);
    }
    return plan;
}

}  // namespace lrnn
