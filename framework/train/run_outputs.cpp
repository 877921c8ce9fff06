#include "train/run_outputs.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <ostream>

#include "core/error.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "io/run_directory.hpp"

namespace lrnn {

namespace {

// Test hook: LRNN_TEST_STALL_CHECKPOINT_MS=N sleeps N ms halfway through writing each
// checkpoint, so a test can kill the process in the middle of a write.
std::function<void()> checkpoint_stall_hook() {
    const char* env = std::getenv("LRNN_TEST_STALL_CHECKPOINT_MS");
    if (!env || !*env) return {};
    const int ms = std::atoi(env);
    return [ms] { ::usleep(useconds_t(ms) * 1000); };
}

// Peak resident memory of the process so far, in MiB.
double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

Json metrics_row(const StepNumbers& n) {
    Json row;
    row["step"] = n.step;
    row["epoch"] = n.epoch;
    row["lr"] = n.lr;
    row["loss"] = n.loss;
    row["grad_norm"] = n.grad_norm;
    row["tokens"] = n.tokens;
    row["skipped_steps"] = n.skipped_steps;
    row["tokens_per_s"] = n.tokens_per_s;
    row["elapsed_s"] = n.elapsed_s;
    return row;
}

void add_evaluation(Json& row, const EvalResult& eval) {
    row["val_loss"] = eval.loss;
    row["val_ppl"] = eval.perplexity;
    row["val_bpc"] = eval.bits_per_byte;
    if (eval.unk_share) row["val_unk_share"] = *eval.unk_share;
}

RunOutputs::RunOutputs(std::string run_dir, bool writes, int keep_checkpoints, std::ostream& out,
                       ProgressDisplay& display)
    : run_dir_(std::move(run_dir)), keep_checkpoints_(keep_checkpoints), out_(out), display_(display),
      stall_(checkpoint_stall_hook()) {
    if (writes) metrics_.emplace(run_dir_ + "/metrics.jsonl");
}

bool RunOutputs::write_metrics(const Json& row) {
    if (!metrics_) return true;
    try {
        metrics_->write(row);
        return true;
    } catch (const UserError& e) {
        display_.clear_line();
        out_ << "error: " << e.what() << "\n";
        return false;
    }
}

bool RunOutputs::save_checkpoint(const Checkpoint& checkpoint, bool best) {
    if (!metrics_) return true;
    const std::string path = checkpoint_path(run_dir_, checkpoint.progress.step);
    try {
        write_checkpoint(path, checkpoint, stall_);
    } catch (const UserError& e) {
        display_.clear_line();
        out_ << "error: saving the checkpoint failed: " << e.what() << "\n";
        return false;
    }
    last_saved_step_ = checkpoint.progress.step;
    if (best) mark_best_checkpoint(run_dir_, path);
    prune_checkpoints(run_dir_, keep_checkpoints_);
    return true;
}

void RunOutputs::write_summary(const RunSummary& s) {
    if (!metrics_) return;
    Json summary;
    summary["run_dir"] = s.run_dir;
    summary["parameters"] = s.parameters;
    summary["steps"] = s.steps;
    summary["epochs"] = s.epochs;
    summary["tokens"] = s.tokens;
    summary["skipped_steps"] = s.skipped_steps;
    summary["tokens_per_s"] = s.tokens_per_s;
    summary["wall_s"] = s.wall_s;
    summary["final_val_loss"] = s.final_val_loss;
    summary["best_val_loss"] = s.best_val_loss;
    summary["best_val_bpc"] = s.best_val_bpc;
    if (s.val_unk_share) summary["val_unk_share"] = *s.val_unk_share;
    summary["best_step"] = s.best_step;
    summary["stop_reason"] = s.stop_reason;
    summary["init_from"] = s.init_from.empty() ? Json() : Json(s.init_from);
    summary["precision"] = s.precision;
    summary["peak_rss_mb"] = peak_rss_mb();
    summary["version"] = version();
    summary["git_commit"] = git_commit().empty() ? Json() : Json(git_commit());
    try {
        write_file_atomically(run_dir_ + "/summary.json", json_line(summary) + "\n");
    } catch (const UserError& e) {
        throw OutputError(e.what());  // a full disk: exit code 3, not bad input
    }
}

}  // namespace lrnn
