#include "train/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <span>
#include <string>
#include <utility>
#include <vector>


#include "core/error.hpp"
#include "core/gemm_bf16.hpp"
#include "core/thread_limit.hpp"
#include "core/text.hpp"
#include "data/chunk_sampler.hpp"
#include "dist/communicator.hpp"
#include "dist/gradient_exchange.hpp"
#include "train/adamw.hpp"
#include "train/batch_gradient.hpp"
#include "train/evaluation.hpp"
#include "train/progress.hpp"
#include "train/run_outputs.hpp"
#include "train/run_start.hpp"
#include "train/schedule.hpp"
#include "train/stop_signals.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::int64_t planned_steps(const TrainConfig& c, std::size_t chunks_per_epoch) {
    const std::size_t per_epoch = (chunks_per_epoch + c.train.batch_chunks - 1) / c.train.batch_chunks;
    std::int64_t total = std::int64_t(per_epoch) * c.train.epochs;
    if (c.train.max_steps > 0) total = std::min(total, c.train.max_steps);
    return total;
}

// The validation tokens each evaluation covers (the first train.eval_tokens + 1 of the
// validation part, or all of it), copied out of the validation store once, and the bytes of
// text behind each.
struct ValidationSet {
    std::vector<TokenId> tokens;
    std::vector<std::uint32_t> bytes;
};

ValidationSet validation_set(const TrainingData& corpus, std::int64_t eval_tokens) {
    const std::size_t all = corpus.val.ids().size();
    const std::size_t wanted = std::size_t(std::max<std::int64_t>(eval_tokens, 0)) + 1;
    ValidationSet v;
    v.tokens.resize(eval_tokens > 0 && wanted < all ? wanted : all);
    corpus.val.ids().copy(0, v.tokens);
    v.bytes = corpus.val_bytes(0, v.tokens.size());
    return v;
}

// The gradient of the whole batch into exchange.gradient(), the same bits on every rank: this
// rank sums the batch-tree nodes the exchange gives it (BatchGradient, on the oneTBB workers),
// the exchange combines every rank's sums. Returns the batch's losses.
LossSums batch_gradient(BatchGradient& batch, GradientExchange& exchange, const Parameters<float>& params,
                        std::span<const std::span<const TokenId>> chunks, double label_smoothing) {
    const double scale = mean_loss_scale(chunks);
    const std::span<const TreeNode> nodes = exchange.start_step(chunks.size());
    for (std::size_t k = 0; k < nodes.size(); ++k)
        exchange.set_node_loss(k, batch.compute(params, chunks, nodes[k].lo, nodes[k].hi, label_smoothing, scale,
                                                exchange.node_sum(k),
                                                k == 0 ? BatchGradient::Weights::Changed
                                                       : BatchGradient::Weights::AsLastCompute));
    return exchange.combine();
}

// One rank's part of a run (the whole run for a single process). Only rank 0 prints, evaluates
// and writes files; every decision that could differ between ranks (a signal, the time budget,
// a failed save) is rank 0's or agreed, so that all ranks run the same steps and stop together.
class TrainingLoop {
public:
    TrainingLoop(const TrainOptions& options, Communicator& comm, std::ostream& out, StartedRun& run);
    TrainResult run();

private:
    void announce();
    void take_batch();
    void skip_step(double mean_loss, double norm);
    void advance(std::uint64_t tokens);
    int log_evaluate_and_save(const StepNumbers& numbers);
    bool evaluate_into(Json& row);
    bool save(bool finished);
    bool save_unless_skipping(bool finished);
    int after_failed_save();
    int after_failed_metrics();
    bool is_eval_step() const {
        return prog_.step >= total_steps_ || (tc_.eval_every > 0 && prog_.step % tc_.eval_every == 0);
    }
    void count_for_early_stopping(double val_loss);
    bool early_stopping_due() const {
        return tc_.early_stopping.patience > 0 && prog_.early_stopping &&
               prog_.early_stopping->evals_since_improvement >= tc_.early_stopping.patience;
    }
    std::string stop_reason() const;
    bool no_checkpoint_yet() const { return options_.resume.empty() && outputs_.last_saved_step() < 0; }
    double elapsed_now() const { return elapsed_before_ + seconds_since(wall_start_); }
    double tokens_per_s() const { return double(prog_.tokens_seen - tokens_at_start_) / std::max(1e-9, step_seconds_); }
    // How a run ends without its model (a stop, a divergence, any rank but 0).
    TrainResult stopped(int exit_code) const { return TrainResult{exit_code, run_.run_dir, std::nullopt}; }
    TrainResult stop_by_signal(int sig);
    TrainResult stop_diverged();
    TrainResult finish();
    RunSummary summary() const;

    const TrainOptions& options_;
    Communicator& comm_;
    std::ostream& out_;
    StartedRun& run_;
    const TrainSection& tc_;
    Parameters<float>& params_;
    TrainingProgress& prog_;
    const std::size_t ctx_len_;
    const ThreadLimit threads_;
    ChunkSampler sampler_;
    std::int64_t total_steps_;  // the time budget may end the run earlier
    const LrSchedule schedule_;
    const ValidationSet val_;
    BatchGradient batch_;
    GradientExchange exchange_;
    // The current batch: its chunks copied out of the training store into batch_tokens_
    // (batch_chunks x (ctx_len + 1) ids, row c is chunk c), and a view of each row.
    std::vector<TokenId> batch_tokens_;
    std::vector<std::span<const TokenId>> chunks_;
    ProgressDisplay display_;
    RunOutputs outputs_;
    StopSignals signals_;
    int exit_code_ = kExitOk;
    // Non-finite steps in a row, counted from the start of this process (a resume starts at
    // 0: the checkpoint format has no field for it; no checkpoint is saved during a streak,
    // so a resumed run starts from before it anyway, unless a signal saved it).
    int skipped_in_a_row_ = 0;
    bool stopped_by_budget_ = false;
    bool stopped_early_ = false;  // train.early_stopping ended the run
    Clock::time_point wall_start_;
    double elapsed_before_ = 0;
    std::uint64_t tokens_at_start_ = 0;
    double step_seconds_ = 0;  // throughput counts the steps alone (not evaluation or checkpoint writes)
};

TrainingLoop::TrainingLoop(const TrainOptions& options, Communicator& comm, std::ostream& out, StartedRun& run)
    : options_(options), comm_(comm), out_(out), run_(run), tc_(run.config.train), params_(*run.params),
      prog_(run.progress), ctx_len_(std::size_t(params_.config().ctx_len)),
      threads_(tc_.threads),
      sampler_(run.data->train.ids().size(), ctx_len_, run.config.run.seed),
      total_steps_(planned_steps(run.config, sampler_.chunks_per_epoch())),
      schedule_{tc_.lr, tc_.min_lr, tc_.warmup_steps, total_steps_, tc_.schedule == "cosine"},
      val_(validation_set(*run.data, tc_.eval_tokens)),
      batch_(params_.config(), ctx_len_, parse_precision(tc_.precision, "train.precision")),
      exchange_(comm, reduce_mode(run.config.dist.reduce), params_.values.size()),
      display_(out, total_steps_, tc_.log_every),
      outputs_(run.run_dir, comm.is_root(), tc_.keep_checkpoints, out, display_) {
    // A resumed position past the end of the epoch (a corpus that shrank, accepted with
    // --allow-changed-corpus) starts the next epoch instead of an empty batch.
    if (prog_.position >= sampler_.chunks_per_epoch()) prog_.position = 0, prog_.epoch += 1;
    batch_tokens_.resize(std::size_t(tc_.batch_chunks) * (ctx_len_ + 1));
    chunks_.reserve(std::size_t(tc_.batch_chunks));
    announce();
}

void TrainingLoop::announce() {
    const TrainingData& corpus = *run_.data;
    out_ << "run " << run_.run_dir << ": " << describe(params_.config()) << ", " << params_.values.size()
         << " parameters\n"
         << "data " << corpus.name << ": " << corpus.bytes << " bytes, " << to_string(corpus.tokenizer.kind())
         << " tokenizer, " << corpus.train.ids().size() << " training / " << corpus.val.ids().size()
         << " validation tokens, " << sampler_.chunks_per_epoch() << " chunks per epoch\n"
         << "training " << total_steps_ << " steps of " << tc_.batch_chunks << " chunks x " << ctx_len_
         << " tokens on " << threads_.threads() << " threads" << (comm_.distributed() ? " per rank" : "") << "\n";
    if (comm_.distributed()) out_ << exchange_.describe() << "\n";
    const Precision precision = parse_precision(tc_.precision, "train.precision");
    if (rounds_to_bf16(precision))
        out_ << "precision " << tc_.precision << ": matrix products on bf16 inputs with float sums ("
             << bf16_gemm_path_name(bf16_gemm_path_for(precision)) << " kernel)\n";
}

TrainResult TrainingLoop::run() {
    wall_start_ = Clock::now();
    elapsed_before_ = prog_.elapsed_s;
    tokens_at_start_ = prog_.tokens_seen;
    // A run that early stopping ended stays ended on resume, unless its patience was raised.
    if (early_stopping_due() && prog_.step < total_steps_) stopped_early_ = true, total_steps_ = prog_.step;
    while (prog_.step < total_steps_) {
        if (const int sig = comm_.max_over_ranks(signals_.received())) return stop_by_signal(sig);
        take_batch();
        const double lr = schedule_.at(prog_.step);
        const Clock::time_point step_start = Clock::now();

        // The gradient of the mean loss over the batch, the same on every rank.
        const LossSums loss = batch_gradient(batch_, exchange_, params_, chunks_, tc_.label_smoothing);
        const std::span<float> grad = exchange_.gradient();
        const double mean_loss = loss.optimized / double(loss.count);
        const double norm = gradient_norm(grad);
        // Clip (as a scale inside the update) and one AdamW step; a non-finite one is skipped.
        if (std::isfinite(mean_loss) && std::isfinite(norm)) {
            const float clip_scale = tc_.grad_clip > 0 && norm > tc_.grad_clip ? float(tc_.grad_clip / norm) : 1.0f;
            run_.optimizer->update(params_.values, grad, lr, clip_scale);
            skipped_in_a_row_ = 0;
        } else {
            skip_step(mean_loss, norm);
        }
        step_seconds_ += seconds_since(step_start);
        advance(loss.count);

        // Log, evaluate, checkpoint: rank 0 writes, and every rank learns whether to stop.
        const StepNumbers numbers{prog_.step,         prog_.epoch,         lr,
                                  mean_loss,          norm,                prog_.tokens_seen,
                                  prog_.skipped_steps, tokens_per_s(),     prog_.elapsed_s};
        display_.step(prog_.step, prog_.epoch, mean_loss, numbers.tokens_per_s, numbers.elapsed_s);
        const bool evaluated = is_eval_step();
        if (const int stop = comm_.from_root(log_evaluate_and_save(numbers))) return stopped(stop);
        // Only rank 0 evaluates: it tells the others whether early stopping ended the run.
        if (evaluated && tc_.early_stopping.patience > 0 && comm_.from_root(stopped_early_ ? 1 : 0))
            stopped_early_ = true, total_steps_ = prog_.step;
        // Every rank has the same gradient, so every rank comes to this decision at once.
        if (tc_.max_skipped_in_a_row > 0 && skipped_in_a_row_ >= tc_.max_skipped_in_a_row) return stop_diverged();
    }
    return finish();
}

// The batch: up to train.batch_chunks chunks, never across an epoch boundary.
void TrainingLoop::take_batch() {
    chunks_.clear();
    while (chunks_.size() < std::size_t(tc_.batch_chunks) && prog_.position < sampler_.chunks_per_epoch()) {
        const std::size_t start = sampler_.chunk_start(prog_.epoch, prog_.position++);
        const std::span<TokenId> row = std::span(batch_tokens_).subspan(chunks_.size() * (ctx_len_ + 1), ctx_len_ + 1);
        run_.data->train.ids().copy(start, row);
        chunks_.push_back(row);
    }
}

void TrainingLoop::skip_step(double mean_loss, double norm) {
    ++prog_.skipped_steps;
    ++skipped_in_a_row_;
    display_.clear_line();
    out_ << "warning: step " << prog_.step + 1 << " skipped: loss " << mean_loss << ", gradient norm " << norm << " ("
         << prog_.skipped_steps << " skipped so far)\n";
}

// Counts the step done; the time budget (rank 0's clock) may end the run here.
void TrainingLoop::advance(std::uint64_t tokens) {
    prog_.step += 1;
    prog_.tokens_seen += tokens;
    if (prog_.position >= sampler_.chunks_per_epoch()) prog_.position = 0, prog_.epoch += 1;
    prog_.elapsed_s = elapsed_now();
    if (tc_.max_seconds > 0 && comm_.from_root(prog_.elapsed_s >= tc_.max_seconds) && prog_.step < total_steps_) {
        stopped_by_budget_ = true;
        total_steps_ = prog_.step;
    }
}

// The step's metrics row, evaluation and checkpoint, as the config schedules them. Returns
// the exit code to stop with, or 0 (rank 0's decision: the others write nothing).
int TrainingLoop::log_evaluate_and_save(const StepNumbers& numbers) {
    bool last = prog_.step >= total_steps_;
    const bool eval_step = is_eval_step();
    const bool periodic = tc_.checkpoint_every > 0 && prog_.step % tc_.checkpoint_every == 0;
    bool best = false;
    if (eval_step || prog_.step % tc_.log_every == 0) {
        Json row = metrics_row(numbers);
        if (eval_step && comm_.is_root()) {
            best = evaluate_into(row);
            // Early stopping makes this step the last: its checkpoint is the finished one.
            if (!last && early_stopping_due()) stopped_early_ = true, last = true, total_steps_ = prog_.step;
        }
        if (!run_.resume_changes.empty()) row["changed"] = std::exchange(run_.resume_changes, std::string());
        if (!outputs_.write_metrics(row)) return after_failed_metrics();
    }
    if ((best || periodic || last) && !save_unless_skipping(last)) return after_failed_save();
    return 0;
}

// Evaluates on the validation set, adds the numbers to `row`; true if they are the best yet.
bool TrainingLoop::evaluate_into(Json& row) {
    const EvalResult r = evaluate(params_, val_.tokens, val_.bytes, ctx_len_, run_.data->tokenizer.unk_id(),
                                  parse_precision(tc_.precision, "train.precision"));
    prog_.last_val_loss = r.loss;
    const bool best = r.loss < prog_.best_val_loss;
    if (best) prog_.best_val_loss = r.loss, prog_.best_step = prog_.step;
    add_evaluation(row, r);
    display_.note_eval(prog_.step, r.loss, r.bits_per_byte, best);
    count_for_early_stopping(r.loss);
    return best;
}

// An evaluation improves when its loss is below the last improving one by more than
// train.early_stopping.min_delta (a slow creep of smaller gains adds up until it does). A
// non-finite loss never improves.
void TrainingLoop::count_for_early_stopping(double val_loss) {
    if (!prog_.early_stopping) return;  // early stopping is off
    EarlyStoppingProgress& e = *prog_.early_stopping;
    if (val_loss < e.reference_loss - tc_.early_stopping.min_delta) e.reference_loss = val_loss, e.evals_since_improvement = 0;
    else ++e.evals_since_improvement;
}

std::string TrainingLoop::stop_reason() const {
    if (stopped_early_) return "early_stopping";
    if (stopped_by_budget_) return "max_seconds";
    return "completed";
}

// Saves a checkpoint of the current state; false if the save failed (reported).
bool TrainingLoop::save(bool finished) {
    if (!outputs_.writes()) return true;
    Checkpoint c{run_.config_yaml, params_.config(),          run_.data->tokenizer,
                 params_.values,   run_.optimizer->state(), prog_};
    c.progress.finished = finished;
    return outputs_.save_checkpoint(c, prog_.best_step == prog_.step);
}

// The saves the schedule asks for (periodic, best, last), except in the middle of a streak of
// skipped steps: their state is the one that produced non-finite losses, and saving it would
// let the pruning drop the good checkpoints before it. (SIGINT/SIGTERM still save: the user
// asked for the state as it is.)
bool TrainingLoop::save_unless_skipping(bool finished) {
    if (skipped_in_a_row_ == 0) return save(finished);
    out_ << "not saving a checkpoint at step " << prog_.step << ": the last " << skipped_in_a_row_
         << " step(s) were skipped (non-finite loss or gradient norm)\n";
    return true;
}

// A failed save (reported by RunOutputs) stops the run or, by config, goes on without it;
// either way the exit code says a checkpoint is missing. Returns the code to stop with, or 0.
int TrainingLoop::after_failed_save() {
    exit_code_ = kExitSaveFailed;
    if (tc_.on_save_error == "stop") {
        if (no_checkpoint_yet())
            out_ << "stopping: no checkpoint of this run could be saved (train.on_save_error=stop)\n";
        else
            out_ << "stopping: the previous checkpoints are intact (train.on_save_error=stop)\n";
        return kExitSaveFailed;
    }
    out_ << "continuing without this checkpoint (train.on_save_error=continue)\n";
    return 0;
}

// metrics.jsonl could not be written (a full disk, most likely): the same as a failed save,
// whatever train.on_save_error says (a run without its metrics is no use to go on).
int TrainingLoop::after_failed_metrics() {
    exit_code_ = kExitSaveFailed;
    if (no_checkpoint_yet())
        out_ << "stopping: no checkpoint of this run was saved yet\n";
    else
        out_ << "stopping: the checkpoints saved so far are intact; resume continues from the newest\n";
    return kExitSaveFailed;
}

TrainResult TrainingLoop::stop_by_signal(int sig) {
    display_.clear_line();
    out_ << "received " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << " at step " << prog_.step << "\n";
    prog_.elapsed_s = elapsed_now();
    if (outputs_.last_saved_step() == prog_.step || save(false)) {
        out_ << "checkpoint saved; continue with: lrnn train --resume " << run_.run_dir << "\n";
        return stopped(128 + sig);
    }
    return stopped(kExitSaveFailed);
}

TrainResult TrainingLoop::stop_diverged() {
    display_.clear_line();
    out_ << "lrnn train: error: training diverged: the last " << skipped_in_a_row_ << " steps (to step " << prog_.step
         << ") all had a non-finite loss or gradient norm and were skipped (train.max_skipped_in_a_row = "
         << tc_.max_skipped_in_a_row << "); the parameters are still those after step "
         << prog_.step - skipped_in_a_row_ << " and the checkpoints saved in " << run_.run_dir
         << "/checkpoints are intact. Lower train.lr or set train.grad_clip and start again.\n"
         << std::flush;
    return stopped(kExitDiverged);
}

// The end of a run that went all its steps: summary.json and the closing lines (rank 0).
TrainResult TrainingLoop::finish() {
    if (!comm_.is_root()) return stopped(exit_code_);
    display_.clear_line();
    if (stopped_by_budget_) out_ << "stopped at the time budget (train.max_seconds = " << tc_.max_seconds << ")\n";
    if (stopped_early_)
        out_ << "stopped early at step " << prog_.step << ": the validation loss has not improved by more than "
             << "train.early_stopping.min_delta = " << tc_.early_stopping.min_delta << " for "
             << prog_.early_stopping->evals_since_improvement << " evaluations (train.early_stopping.patience = "
             << tc_.early_stopping.patience << ")\n";
    const RunSummary s = summary();
    const std::string summary_path = run_.run_dir + "/summary.json";
    std::error_code summary_error;
    const bool trained_now = prog_.tokens_seen != tokens_at_start_;
    if (!trained_now && run_.resumed_finished && fs::exists(summary_path, summary_error)) {
        // A finished run resumed without extending it: nothing trained, and a rewritten
        // summary would report 0 tokens/s. The one written when it finished stays.
        out_ << "nothing to train: the run is complete at step " << prog_.step << " (" << summary_path << " kept)\n";
    } else {
        outputs_.write_summary(s);
        out_ << "done: " << prog_.step << " steps in " << s.wall_s << " s, " << std::llround(s.tokens_per_s)
             << " tokens/s; ";
    }
    out_ << "best validation loss " << prog_.best_val_loss << " (" << s.best_val_bpc << " bits per byte) at step "
         << prog_.best_step << "\n"
         << "files: " << run_.run_dir << "/{config.yaml,metrics.jsonl,summary.json,checkpoints/"
         << (options_.print_sample ? ",samples/" : "") << "}\n";
    if (comm_.distributed())
        out_ << "gradient exchange: "
             << 1e3 * exchange_.exchange_seconds() / double(std::max<std::int64_t>(1, exchange_.steps())) << " ms/step over "
             << exchange_.steps() << " steps ("
             << std::llround(100 * exchange_.exchange_seconds() / std::max(1e-9, step_seconds_)) << "% of the step time)\n";
    if (trained_now && !std::isfinite(prog_.last_val_loss)) {
        // Finished, but into nothing: a compare (or a script) must not take it for a result.
        out_ << "lrnn train: error: training diverged: the final validation loss is " << prog_.last_val_loss << " ("
             << prog_.skipped_steps << " of " << prog_.step << " steps were skipped for a non-finite loss or gradient "
             << "norm). Lower train.lr or set train.grad_clip and start again.\n"
             << std::flush;
        return stopped(kExitDiverged);
    }
    const TrainConfig& cfg = run_.config;
    return TrainResult{exit_code_, run_.run_dir,
                       TrainedModel{std::move(params_), std::move(run_.data->tokenizer), cfg.generate, cfg.run.seed}};
}

RunSummary TrainingLoop::summary() const {
    RunSummary s;
    s.run_dir = run_.run_dir;
    s.parameters = std::int64_t(params_.values.size());
    s.steps = prog_.step;
    s.epochs = double(prog_.epoch) + double(prog_.position) / double(std::max<std::size_t>(1, sampler_.chunks_per_epoch()));
    s.tokens = prog_.tokens_seen;
    s.skipped_steps = prog_.skipped_steps;
    s.tokens_per_s = tokens_per_s();
    s.wall_s = prog_.elapsed_s;
    s.final_val_loss = prog_.last_val_loss;
    s.best_val_loss = prog_.best_val_loss;
    // Bits per byte of the best validation loss: every evaluation covers the same tokens, so
    // it is the best loss times the tokens-to-bytes ratio of the validation text.
    std::uint64_t val_text_bytes = 0;
    for (std::size_t t = 1; t < val_.bytes.size(); ++t) val_text_bytes += val_.bytes[t];
    s.best_val_bpc = prog_.best_step >= 0 && val_text_bytes > 0
                         ? prog_.best_val_loss * double(val_.tokens.size() - 1) / std::log(2.0) / double(val_text_bytes)
                         : std::nan("");
    if (const std::optional<TokenId> unk = run_.data->tokenizer.unk_id())
        s.val_unk_share = count_unk_bytes(val_.tokens, val_.bytes, *unk).share();
    s.best_step = prog_.best_step;
    s.stop_reason = stop_reason();
    s.init_from = run_.config.train.init_from;
    s.precision = tc_.precision;
    return s;
}

TrainResult train_this_rank(const TrainOptions& options, Communicator& comm) {
    std::ostream quiet(nullptr);  // discards: the other ranks stay quiet unless something fails
    std::ostream& out = comm.is_root() ? std::cerr : quiet;
    StartedRun run = start_run(options, comm, out);
    TrainingLoop loop(options, comm, out, run);
    return loop.run();
}

}  // namespace

TrainResult run_training(const TrainOptions& options) {
    Communicator comm;  // MPI_Init when launched by mpirun/srun; nothing otherwise
    if (!comm.distributed()) return train_this_rank(options, comm);
    try {
        return train_this_rank(options, comm);
    } catch (const CollectiveError& e) {
        // Every rank stops here together. Each says why (one write, so that mpirun does not
        // interleave the lines), and waits until all have said it before any exits: mpirun
        // may kill the others as soon as the first one exits non-zero.
        std::cerr << ("lrnn train: error: " + printable(e.what()) + "\n") << std::flush;
        (void)comm.gather_texts("");
        return TrainResult{kExitBadInput, "", std::nullopt};
    } catch (const std::exception& e) {
        // This rank alone failed: the others would wait for it forever, so end the whole job.
        std::cerr << "lrnn train: " << comm.prefix() << "error: " << printable(e.what()) << " (stopping all ranks)\n" << std::flush;
        comm.abort(dynamic_cast<const UserError*>(&e)     ? kExitBadInput
                   : dynamic_cast<const OutputError*>(&e) ? kExitSaveFailed
                                                          : 1);
    }
}

}  // namespace lrnn
