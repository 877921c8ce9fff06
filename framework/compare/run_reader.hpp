#pragma once
// Reading a run directory (io/run_directory.hpp describes its files) into the numbers
// compare shows.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compare/run_record.hpp"
#include "config/train_config.hpp"
#include "core/json.hpp"

namespace lrnn {

struct RunFiles {
    std::optional<TrainConfig> config;   // config.yaml
    std::vector<MetricsRow> metrics;     // metrics.jsonl
    std::optional<Json> summary;         // summary.json (a finished run)
    std::string sample;                  // samples/final.txt
};

// True if `dir` holds metrics.jsonl (what makes it a run directory compare can read).
bool has_metrics(const std::string& dir);

// Reads what is there. UserError naming the file if metrics.jsonl is missing or malformed,
// or config.yaml / summary.json exist but do not parse. A last metrics line without its
// newline (cut short by a kill) is dropped, as `lrnn train --resume` does.
RunFiles read_run_files(const std::string& dir);

// metrics.jsonl text -> rows; `where` names the file in errors.
std::vector<MetricsRow> parse_metrics(const std::string& text, const std::string& where);

// One line of metrics.jsonl -> its row; `where` names the file and line in errors.
MetricsRow parse_metrics_row(std::string_view line, const std::string& where);

// The result numbers: from summary.json where it has them, else from the metrics rows.
RunNumbers run_numbers(const RunFiles& files);

// Why the run stopped, summary.json's "stop_reason" (completed | early_stopping | max_seconds);
// nothing for an unfinished run or a summary written before the field existed. UserError if
// it is there but not text.
std::optional<std::string> stop_reason(const RunFiles& files);

// Every config key -> its value as plain text (config_value, strings unquoted).
std::map<std::string, std::string> config_values(const TrainConfig& config);

}  // namespace lrnn
