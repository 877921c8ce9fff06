#pragma once
// What a run leaves in its run directory as it trains (docs/recipes.md): a metrics.jsonl row
// per logged step, checkpoints (saved, pruned to train.keep_checkpoints, best.ckpt marked) and
// summary.json at the end. Only rank 0 writes: on the other ranks a RunOutputs writes nothing
// and reports every write as done.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "core/json.hpp"
#include "io/checkpoint.hpp"
#include "train/evaluation.hpp"
#include "io/metrics_log.hpp"
#include "train/progress.hpp"

namespace lrnn {

// One logged step: the fields of its metrics.jsonl row, in their order.
struct StepNumbers {
    std::int64_t step = 0;
    std::uint64_t epoch = 0;
    double lr = 0;
    double loss = 0;       // the optimised loss (label smoothing included)
    double grad_norm = 0;  // before clipping
    std::uint64_t tokens = 0;
    std::int64_t skipped_steps = 0;
    double tokens_per_s = 0;  // training steps only
    double elapsed_s = 0;
};

Json metrics_row(const StepNumbers& n);
// An evaluation step's row adds val_loss, val_ppl, val_bpc, and val_unk_share when the
// tokenizer has <unk>.
void add_evaluation(Json& row, const EvalResult& eval);

// summary.json's fields, in their order (peak_rss_mb, last, is measured as it is written).
struct RunSummary {
    std::string run_dir;
    std::int64_t parameters = 0;
    std::int64_t steps = 0;
    double epochs = 0;  // fractional: epochs done
    std::uint64_t tokens = 0;
    std::int64_t skipped_steps = 0;
    double tokens_per_s = 0;
    double wall_s = 0;
    double final_val_loss = 0;
    double best_val_loss = 0;
    double best_val_bpc = 0;
    std::optional<double> val_unk_share;  // tokenizers with <unk> (word): every evaluation's share
    std::int64_t best_step = -1;
    std::string stop_reason;  // completed | early_stopping | max_seconds
    std::string init_from;    // the weights a fine-tuning run started from; "" = none
    std::string precision = "fp32";  // train.precision: of the matrix products
};

class RunOutputs {
public:
    // Failures are reported on `out` (after display's live line is ended) as they happen.
    RunOutputs(std::string run_dir, bool writes, int keep_checkpoints, std::ostream& out, ProgressDisplay& display);

    // false on the ranks that write nothing.
    bool writes() const { return metrics_.has_value(); }
    // Appends the row to metrics.jsonl; false (reported) if it could not be written.
    bool write_metrics(const Json& row);
    // Saves the checkpoint of step checkpoint.progress.step, points best.ckpt at it if `best`,
    // prunes the older ones; false (reported) if the save failed, the older ones intact.
    bool save_checkpoint(const Checkpoint& checkpoint, bool best);
    // The step of the last checkpoint saved by this process, -1 if none.
    std::int64_t last_saved_step() const { return last_saved_step_; }
    // Writes summary.json atomically; OutputError if it cannot.
    void write_summary(const RunSummary& summary);

private:
    std::string run_dir_;
    int keep_checkpoints_;
    std::ostream& out_;
    ProgressDisplay& display_;
    std::optional<MetricsLog> metrics_;
    std::function<void()> stall_;  // the checkpoint-write test hook (run_outputs.cpp)
    std::int64_t last_saved_step_ = -1;
};

}  // namespace lrnn
