#include "compare/reuse.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compare/value_text.hpp"
#include "core/error.hpp"
#include "io/byte_reader.hpp"
#include "io/run_directory.hpp"

namespace lrnn {

namespace fs = std::filesystem;

std::string config_difference(const TrainConfig& stored, const TrainConfig& expected) {
    for (const std::string& key : config_keys()) {
        if (key == "run.name" || key == "run.dir") continue;
        if (expected.model.auto_size && key.rfind("model.", 0) == 0 && key != "model.auto" &&
            !expected.explicit_keys.count(key))
            continue;  // chosen by model.auto from the corpus: stored resolved, expected not
        std::string a = display_value(config_value(stored, key));
        std::string b = display_value(config_value(expected, key));
        if (key == "data.path") {
            a = fs::absolute(a).lexically_normal().string();
            b = fs::absolute(b).lexically_normal().string();
        }
        if (a != b) return key + " " + a + " -> " + b;
    }
    return "";
}

ReuseDecision decide_reuse(const std::string& run_dir, const TrainConfig& expected) {
    std::error_code ec;
    if (!fs::exists(run_dir, ec)) return {ReuseAction::Fresh, "new"};
    const fs::path config_path = fs::path(run_dir) / "config.yaml";
    std::optional<std::string> text;
    try {
        text = read_text_if_present(config_path.string());
    } catch (const UserError&) {
    }
    if (!text) return {ReuseAction::Fresh, "restarting: the earlier attempt left no config.yaml"};
    std::string difference;
    try {
        difference = config_difference(parse_train_config_text(*text, config_path.string()), expected);
    } catch (const UserError& e) {
        // A run with results or checkpoints is not deleted over a damaged config.yaml: the
        // user repairs it (or deletes the folder); only an empty attempt starts over.
        if (fs::is_regular_file(fs::path(run_dir) / "summary.json", ec) || !list_checkpoints(run_dir).empty())
            return {ReuseAction::Keep, std::string("unreadable config.yaml (") + e.what() + ")"};
        return {ReuseAction::Fresh, std::string("restarting: unreadable config.yaml (") + e.what() + ")"};
    }
    if (!difference.empty()) return {ReuseAction::Fresh, "config changed (" + difference + "): training again"};
    if (fs::is_regular_file(fs::path(run_dir) / "summary.json", ec)) return {ReuseAction::Reuse, "finished earlier"};
    if (!list_checkpoints(run_dir).empty()) return {ReuseAction::Resume, "unfinished: resuming from its checkpoint"};
    return {ReuseAction::Fresh, "unfinished without a checkpoint: restarting"};
}

}  // namespace lrnn
