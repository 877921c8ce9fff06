#include "compare/plan.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

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

}  // namespace

ComparePlan plan_compare(const CompareOptions& options) {
    ComparePlan plan;
    if (options.budget_s && options.steps)
        throw UserError("give --budget SECONDS or --steps N, not both: the runs need one equal budget");
    if (options.budget_s && !(*options.budget_s > 0 && std::isfinite(*options.budget_s)))
        throw UserError("--budget must be a finite positive number of seconds, got " +
                        (std::isnan(*options.budget_s) ? std::string("nan")
                         : std::isinf(*options.budget_s) ? std::string("inf")
                                                         : shortest_number_text(*options.budget_s)));
    if (options.steps && *options.steps < 1)
        throw UserError("--steps must be at least 1, got " + std::to_string(*options.steps));

    // Sort the arguments: existing files are configs, existing folders run directories.
    std::vector<std::string> inputs, overrides;
    std::vector<bool> is_config;
    for (const std::string& arg : options.arguments) {
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            if (!has_metrics(arg)) (void)read_run_files(arg);  // throws the "no metrics" error
            inputs.push_back(arg), is_config.push_back(false);
        } else if (fs::is_regular_file(arg, ec)) {
            inputs.push_back(arg), is_config.push_back(true);
        } else if (fs::exists(arg, ec)) {
            throw UserError(arg + ": neither a config file nor a run directory");
        } else {
            check_override(arg);
            overrides.push_back(arg);
        }
    }
    if (inputs.empty())
        throw UserError("nothing to compare: give config files (trained now) and/or run directories (read)");
    const bool any_config = std::find(is_config.begin(), is_config.end(), true) != is_config.end();
    if (!any_config && (!options.sweeps.empty() || !overrides.empty() || options.budget_s || options.steps))
        throw UserError("--sweep, --budget, --steps and key=value overrides apply to config files, "
                        "and every input here is a run directory");

    std::vector<SweepAxis> axes;
    for (const std::string& spec : options.sweeps) axes.push_back(parse_sweep(spec));
    const std::vector<SweepVariant> variants = expand_sweeps(axes);
    const std::vector<std::string> labels = sweep_labels(axes);

    // What the command line sets for every run, and what compare adds: the equal budget, and
    // all threads for each run (fair timings) unless the user chose train.threads.
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

    plan.name = options.name.empty() ? default_compare_name(inputs) : options.name;
    check_compare_name(plan.name);
    check_output_folder_parent(options.root, "--dir");
    plan.out_dir = fs::absolute(fs::path(options.root) / plan.name).lexically_normal().string();
    plan.runs_dir = plan.out_dir + "/runs";
    // The compare rewrites its own folder: an input run inside it could be deleted and retrained
    // under the input's name.
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (is_config[i]) continue;
        std::error_code ec;
        const fs::path input = fs::weakly_canonical(fs::absolute(inputs[i]), ec);
        const fs::path out = fs::weakly_canonical(fs::path(plan.out_dir), ec);
        const auto [end, rest] = std::mismatch(out.begin(), out.end(), input.begin(), input.end());
        if (end == out.end())
            throw UserError("input " + inputs[i] + " lies inside this compare's own folder " + plan.out_dir +
                            ", which the compare rewrites: copy it elsewhere first, or choose another --name");
    }

    // Names first (they must be unique across all inputs), then the runs.
    std::vector<std::string> names;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!is_config[i]) {
            names.push_back(input_name(inputs[i]));
            continue;
        }
        for (const SweepVariant& v : variants) names.push_back(variant_name(safe_name(input_name(inputs[i])), labels, v));
    }
    names = unique_names(names);

    std::size_t at = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!is_config[i]) {
            PlannedRun run;
            run.name = names[at++];
            run.run_dir = fs::absolute(inputs[i]).lexically_normal().string();
            if (!run.run_dir.empty() && run.run_dir.back() == '/') run.run_dir.pop_back();
            plan.runs.push_back(std::move(run));
            continue;
        }
        // The config without the variant's values, for showing what a failed variant held.
        std::optional<TrainConfig> base;
        try {
            base = load_train_config({inputs[i], common});
        } catch (const UserError&) {
        }
        const std::size_t first_variant = plan.runs.size();
        for (const SweepVariant& v : variants) {
            PlannedRun run;
            run.train = true;
            run.name = names[at++];
            run.run_dir = plan.runs_dir + "/" + run.name;
            // Absolute: a name like "-x.yaml" would otherwise reach the child as an option.
            run.config_path = fs::absolute(inputs[i]).lexically_normal().string();
            run.overrides = common;
            for (const auto& [key, value] : v) run.overrides.push_back(key + "=" + value);
            // run.dir/run.name quoted: a JSON string is a YAML double-quoted scalar, so any
            // path arrives as written.
            run.overrides.push_back("run.dir=" + json_line(Json(plan.runs_dir)));
            run.overrides.push_back("run.name=" + json_line(Json(run.name)));
            try {
                run.expected = load_train_config({run.config_path, run.overrides});
                run.config = config_values(*run.expected);
            } catch (const UserError& e) {
                run.config_error = e.what();
                if (base) {
                    run.config = config_values(*base);
                    TrainConfig partial = *base;
                    try {
                        std::vector<std::string> sweep_part;
                        for (const auto& [key, value] : v) sweep_part.push_back(key + "=" + value);
                        apply_overrides(partial, sweep_part);
                        run.config = config_values(partial);
                    } catch (const UserError&) {
                        for (const auto& [key, value] : v) run.config[key] = value;  // as written
                    }
                } else {
                    for (const auto& [key, value] : v) run.config[key] = value;
                }
            }
            plan.runs.push_back(std::move(run));
        }
        // Not one variant of this config is valid (a bad override for all, an override of a
        // swept key): that is bad input, refused before anything trains or a report is replaced.
        if (std::all_of(plan.runs.begin() + std::ptrdiff_t(first_variant), plan.runs.end(),
                        [](const PlannedRun& r) { return !r.config_error.empty(); }))
            throw UserError(inputs[i] + ": no variant is a valid config: " + plan.runs[first_variant].config_error);
    }
    return plan;
}

}  // namespace lrnn
