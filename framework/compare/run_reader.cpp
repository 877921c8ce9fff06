#include "compare/run_reader.hpp"

#include <cmath>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compare/run_json.hpp"
#include "compare/value_text.hpp"
#include "core/error.hpp"
#include "io/byte_reader.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_text(const fs::path& path) { return read_text_if_present(path.string()); }

}  // namespace

const char* to_string(RunStatus status) {
    switch (status) {
        case RunStatus::Ok: return "ok";
        case RunStatus::Failed: return "failed";
        case RunStatus::Unfinished: return "unfinished";
    }
    return "?";
}

bool has_metrics(const std::string& dir) {
    std::error_code ec;
    return fs::is_regular_file(fs::path(dir) / "metrics.jsonl", ec);
}

MetricsRow parse_metrics_row(std::string_view line, const std::string& where) {
    const Json obj = parse_flat_json_object(line, where);
    MetricsRow row;
    const auto step = json_number_field(obj, "step", where);
    if (!step) throw UserError(where + ": the row has no \"step\"");
    if (*step > 9007199254740992.0 || *step != std::floor(*step))  // 2^53: exact as an integer
        throw UserError(where + ": \"step\" is " + json_line(obj.at("step")) + ", expected a whole number of steps");
    row.step = static_cast<std::int64_t>(*step);
    row.elapsed_s = json_number_field(obj, "elapsed_s", where);
    row.loss = json_number_field(obj, "loss", where);
    row.val_loss = json_number_field(obj, "val_loss", where);
    row.val_bpc = json_number_field(obj, "val_bpc", where);
    row.val_unk_share = json_number_field(obj, "val_unk_share", where);
    return row;
}

std::vector<MetricsRow> parse_metrics(const std::string& text, const std::string& where) {
    std::vector<MetricsRow> rows;
    std::size_t start = 0;
    for (int line_no = 1; start < text.size(); ++line_no) {
        const auto nl = text.find('\n', start);
        if (nl == std::string::npos) break;  // no newline: the writer was killed mid-line
        const std::string_view line = std::string_view(text).substr(start, nl - start);
        start = nl + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        rows.push_back(parse_metrics_row(line, where + ":" + std::to_string(line_no)));
    }
    return rows;
}

RunFiles read_run_files(const std::string& dir) {
    const fs::path root(dir);
    RunFiles files;
    const auto metrics = read_text(root / "metrics.jsonl");
    if (!metrics)
        throw UserError(dir + ": no metrics.jsonl, so this is not a run directory compare can read "
                        "(give RUN_DIR = run.dir/run.name of a run started with lrnn train)");
    files.metrics = parse_metrics(*metrics, (root / "metrics.jsonl").string());
    if (const auto yaml = read_text(root / "config.yaml"))
        files.config = parse_train_config_text(*yaml, (root / "config.yaml").string());
    if (const auto summary = read_text(root / "summary.json"))
        files.summary = parse_flat_json_object(*summary, (root / "summary.json").string());
    if (const auto sample = read_text(root / "samples" / "final.txt")) files.sample = *sample;
    return files;
}

RunNumbers run_numbers(const RunFiles& files) {
    RunNumbers n;
    const std::string where = "summary.json";
    if (files.summary) {
        const Json& s = *files.summary;
        n.parameters = json_number_field(s, "parameters", where);
        n.steps = json_number_field(s, "steps", where);
        n.tokens_per_s = json_number_field(s, "tokens_per_s", where);
        n.wall_s = json_number_field(s, "wall_s", where);
        n.best_val_loss = json_number_field(s, "best_val_loss", where);
        n.best_step = json_number_field(s, "best_step", where);
        n.skipped_steps = json_number_field(s, "skipped_steps", where);
        n.val_unk_share = json_number_field(s, "val_unk_share", where);
        if (n.best_step && *n.best_step < 0) n.best_step.reset();  // -1: never evaluated
    } else {
        // An unfinished run: what its metrics say so far.
        for (const MetricsRow& r : files.metrics)
            if (r.val_loss && (!n.best_val_loss || *r.val_loss < *n.best_val_loss))
                n.best_val_loss = r.val_loss, n.best_step = double(r.step);
        if (!files.metrics.empty()) {
            n.steps = double(files.metrics.back().step);
            n.wall_s = files.metrics.back().elapsed_s;
        }
    }
    if (!files.metrics.empty()) n.final_train_loss = files.metrics.back().loss;
    if (n.best_step) {
        for (const MetricsRow& r : files.metrics)
            if (double(r.step) == *n.best_step && r.val_loss) {
                n.best_val_bpc = r.val_bpc;
                n.best_elapsed_s = r.elapsed_s;
                if (!n.val_unk_share) n.val_unk_share = r.val_unk_share;
            }
    }
    return n;
}

std::optional<std::string> stop_reason(const RunFiles& files) {
    if (!files.summary) return std::nullopt;
    const auto it = files.summary->find("stop_reason");
    if (it == files.summary->end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw UserError("summary.json: \"stop_reason\" is " + json_line(*it) + ", expected text");
    return it->get<std::string>();
}

std::map<std::string, std::string> config_values(const TrainConfig& config) {
    std::map<std::string, std::string> values;
    for (const std::string& key : config_keys()) values[key] = display_value(config_value(config, key));
    return values;
}

}  // namespace lrnn
