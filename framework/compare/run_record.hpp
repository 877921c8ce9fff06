#pragma once
// One column of a comparison: a run as compare knows it, whether trained now, reused from an
// earlier compare, or read from a finished run directory given on the command line.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lrnn {

// One line of metrics.jsonl, as far as compare uses it (absent fields: nothing).
struct MetricsRow {
    std::int64_t step = 0;
    std::optional<double> elapsed_s;
    std::optional<double> loss;      // training loss of the step's batch
    std::optional<double> val_loss;  // evaluation rows only
    std::optional<double> val_bpc;
    std::optional<double> val_unk_share;  // word tokenizer runs (docs/formats.md)
};

// The numbers of the result rows, each exactly as metrics.jsonl / summary.json hold it.
struct RunNumbers {
    std::optional<double> parameters;        // summary.parameters
    std::optional<double> steps;             // summary.steps (else the last metrics row's step)
    std::optional<double> tokens_per_s;      // summary.tokens_per_s
    std::optional<double> wall_s;            // summary.wall_s
    std::optional<double> final_train_loss;  // the last metrics row's loss
    std::optional<double> best_val_loss;     // summary.best_val_loss (else the lowest val_loss row)
    std::optional<double> best_val_bpc;      // val_bpc of the row at best_step
    std::optional<double> val_unk_share;     // summary.val_unk_share (else the row at best_step's)
    std::optional<double> best_step;         // summary.best_step
    std::optional<double> best_elapsed_s;    // elapsed_s of the row at best_step
    std::optional<double> skipped_steps;     // summary.skipped_steps
};

enum class RunStatus { Ok, Failed, Unfinished };

const char* to_string(RunStatus status);

struct RunRecord {
    std::string name;     // the column header; for trained runs also the run directory's name
    std::string run_dir;  // "" when nothing was ever created (e.g. an invalid config)
    std::string source;   // trained | resumed | reused | read | not run
    RunStatus status = RunStatus::Ok;
    std::string error;     // why it failed ("" when ok)
    std::string log_path;  // the captured output of `lrnn train` ("" = none)
    std::map<std::string, std::string> config;  // key -> value as text, every key known
    std::vector<MetricsRow> metrics;
    RunNumbers numbers;
    std::optional<std::string> stop_reason;  // summary.stop_reason: completed | early_stopping | max_seconds
    std::string sample;  // samples/final.txt, if any
};

}  // namespace lrnn
