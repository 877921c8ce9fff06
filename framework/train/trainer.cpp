#include "train/trainer.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <tbb/global_control.h>
#include <tbb/info.h>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/chunk_sampler.hpp"
#include "io/corpus_file.hpp"
#include "dist/communicator.hpp"
#include "dist/gradient_exchange.hpp"
#include "dist/rank_agreement.hpp"
#include "generate/generator.hpp"
#include "generate/sampler.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "train/adamw.hpp"
#include "train/batch_gradient.hpp"
#include "io/checkpoint.hpp"
#include "train/evaluation.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"
#include "io/run_directory.hpp"
#include "io/run_lock.hpp"
#include "train/schedule.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

// The one piece of process-wide state: a signal handler can only reach a static. It records
// which of SIGINT/SIGTERM arrived; the training loop checks it between steps.
std::atomic<int> g_stop_signal{0};

extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

// Installs the handlers for the lifetime of a training run, restores the old ones after.
class StopSignals {
public:
    StopSignals() {
        g_stop_signal.store(0);
        old_int_ = std::signal(SIGINT, on_stop_signal);
        old_term_ = std::signal(SIGTERM, on_stop_signal);
    }
    ~StopSignals() {
        std::signal(SIGINT, old_int_);
        std::signal(SIGTERM, old_term_);
    }
    int received() const { return g_stop_signal.load(); }

private:
    void (*old_int_)(int);
    void (*old_term_)(int);
};

// Test hook: LRNN_TEST_STALL_CHECKPOINT_MS=N sleeps N ms halfway through writing each
// checkpoint, so a test can kill the process in the middle of a write.
std::function<void()> checkpoint_stall_hook() {
    const char* env = std::getenv("LRNN_TEST_STALL_CHECKPOINT_MS");
    if (!env || !*env) return {};
    const int ms = std::atoi(env);
    return [ms] { ::usleep(useconds_t(ms) * 1000); };
}

// The sample printed at the end of training: the generate section's settings, through the
// same Generator as `lrnn generate`.
std::string sample_text(const Parameters<float>& params, const Tokenizer& tokenizer,
                        const GenerateSection& g, std::uint64_t fallback_seed) {
    std::vector<TokenId> prompt;
    try {
        prompt = tokenizer.encode(g.prompt, "generate.prompt");
    } catch (const UserError&) {
        prompt.clear();  // a prompt the vocabulary cannot encode: start from the first token
    }
    if (prompt.empty()) prompt.push_back(0);
    Generator generator(params, default_prompt_chunk(params.config()),
                        *parse_weight_precision(g.weights));  // validated with the config
    generator.feed(prompt);
    SamplingOptions opts;
    opts.temperature = g.temperature;
    opts.top_k = g.top_k;
    opts.top_p = g.top_p;
    Sampler sampler(params.config().vocab_size, opts);
    Rng rng(g.seed >= 0 ? std::uint64_t(g.seed) : fallback_seed);
    std::string text = tokenizer.decode(prompt);
    generate_tokens(generator, sampler, rng, g.tokens,
                    [&](TokenId id) { text += token_text(tokenizer, id); });
    return text;
}

// Peak resident memory of the process so far, in MiB.
double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Everything one training run holds.
struct Run {
    TrainConfig config;
    std::string run_dir;
    Corpus corpus;
    std::optional<Parameters<float>> params;
    std::optional<AdamW> optimizer;
    TrainingProgress progress;
    std::string config_yaml;
    std::int64_t total_steps = 0;
    std::size_t steps_per_epoch = 0;
    std::unique_ptr<RunLock> lock;  // held by rank 0 while it writes the run directory
    bool resumed_finished = false;  // resumed from the checkpoint a finished run wrote last
};

std::int64_t planned_steps(const TrainConfig& c, std::size_t chunks_per_epoch) {
    const std::size_t per_epoch = (chunks_per_epoch + c.train.batch_chunks - 1) / c.train.batch_chunks;
    std::int64_t total = std::int64_t(per_epoch) * c.train.epochs;
    if (c.train.max_steps > 0) total = std::min(total, c.train.max_steps);
    return total;
}

void check_corpus_fits(const Corpus& corpus, const ModelConfig& model) {
    const std::size_t need = std::size_t(model.ctx_len) + 1;
    if (corpus.train_tokens.size() < need)
        throw UserError("data.path: " + corpus.path + ": the training part has " +
                        std::to_string(corpus.train_tokens.size()) + " tokens, fewer than one chunk (model.ctx_len + 1 = " +
                        std::to_string(need) + ")");
    if (corpus.val_tokens.size() < need)
        throw UserError("data.path: " + corpus.path + ": the validation part (data.val_fraction) has " +
                        std::to_string(corpus.val_tokens.size()) + " tokens, fewer than one chunk (model.ctx_len + 1 = " +
                        std::to_string(need) + ")");
}

// The config with the resolved model shape written back, so config.yaml says what was built.
TrainConfig with_resolved_model(TrainConfig c, const ModelConfig& shape) {
    const int vocab = c.model.shape.vocab_size;
    c.model.shape = shape;
    c.model.shape.vocab_size = vocab;
    return c;
}

// Refuses, before allocating anything, a model that cannot fit in this machine's memory: the
// parameters with their gradient and AdamW's two moments, a gradient buffer and a training
// workspace per worker thread. (Without the check the allocation fails part-way with a bare
// "out of memory" that names no setting.)
void check_model_fits_in_memory(const ModelConfig& shape, const TrainConfig& config) {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page_size <= 0) return;  // unknown: let the allocation speak
    const double memory = double(pages) * double(page_size);
    const double threads = config.train.threads > 0 ? config.train.threads : tbb::info::default_concurrency();
    const double parameters = double(ParameterLayout(shape).total_size());
    const double workspace = double(workspace_values(shape, std::size_t(shape.ctx_len)));
    const double need = sizeof(float) * (parameters * (4 + threads) + workspace * threads);
    if (need <= memory) return;
    const auto gib = [](double bytes) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
        return std::string(buf);
    };
    throw UserError("the model does not fit in memory: model.n_layer " + std::to_string(shape.n_layer) +
                    ", model.n_embd " + std::to_string(shape.n_embd) + ", model.ctx_len " +
                    std::to_string(shape.ctx_len) + " on " + std::to_string(int(threads)) +
                    " threads need about " + gib(need) + " (" + std::to_string(std::int64_t(parameters)) +
                    " parameters), this machine has " + gib(memory) +
                    "; make the model smaller or lower train.threads");
}

Run start_fresh(const TrainOptions& options) {
    Run run;
    run.config = load_train_config(options.source);
    run.run_dir = (fs::path(run.config.run.dir) / run.config.run.name).string();
    std::error_code ec;
    if (fs::exists(run.run_dir, ec) && !options.force)
        throw UserError("run directory " + run.run_dir + " already exists; use --force to replace it, "
                        "--resume " + run.run_dir + " to continue it, or run.name=NEW for a new run");
    run.corpus = load_corpus(run.config.data.path, run.config.data.tokenizer, run.config.data.val_fraction);
    const ModelConfig shape = resolve_model_config(run.config, run.corpus.bytes,
                                                   run.corpus.tokenizer.kind() == TokenizerKind::Word,
                                                   run.corpus.tokenizer.vocab_size());
    check_corpus_fits(run.corpus, shape);
    check_model_fits_in_memory(shape, run.config);
    run.config = with_resolved_model(run.config, shape);
    run.config_yaml = to_yaml(run.config);

    run.params.emplace(shape);
    initialize_parameters<float>(run.params->layout, run.config.run.seed, run.params->values);
    run.optimizer.emplace(run.params->layout, AdamWSettings{0.9, 0.999, 1e-8, run.config.train.weight_decay});
    run.progress.corpus_hash = run.corpus.hash;
    run.progress.corpus_bytes = run.corpus.bytes;
    return run;
}

// True if the override `key=value` sets the key to the value it already has (a resumed run
// may repeat its own settings, e.g. from a script that always passes them).
bool leaves_value_unchanged(const TrainConfig& config, const std::string& override_item) {
    const std::string key = override_item.substr(0, override_item.find('='));
    TrainConfig changed = config;
    try {
        apply_overrides(changed, {override_item});
    } catch (const UserError&) {
        return false;  // a malformed value: the refusal names the key
    }
    return config_value(changed, key) == config_value(config, key);
}

Run start_resume(const TrainOptions& options, std::ostream& out) {
    Run run;
    std::string ckpt_path;
    Checkpoint ckpt;
    std::error_code ec;
    if (fs::is_directory(options.resume, ec)) {
        run.run_dir = options.resume;
        ckpt = load_newest_checkpoint(run.run_dir, out, &ckpt_path);
    } else {
        if (!fs::exists(options.resume, ec)) throw UserError("--resume " + options.resume + ": no such file or directory");
        ckpt_path = options.resume;
        // The run continues in the run directory that holds the file: RUN_DIR/checkpoints/FILE.
        // A checkpoint anywhere else has no run directory to continue (its config.yaml and
        // metrics.jsonl), and guessing one would write into some unrelated folder.
        const fs::path folder = fs::absolute(ckpt_path).lexically_normal().parent_path();
        if (folder.filename() != "checkpoints" || !fs::is_regular_file(folder.parent_path() / "config.yaml", ec))
            throw UserError("--resume " + ckpt_path + ": not inside a run directory's checkpoints/ folder "
                            "(RUN_DIR/checkpoints/FILE, next to RUN_DIR/config.yaml); to continue from a copied "
                            "checkpoint, put it into the checkpoints/ folder of the run it came from");
        ckpt = read_checkpoint(ckpt_path);
        // As given when the path names the checkpoints/ folder (messages then echo the user's
        // path), absolute otherwise (e.g. a bare file name given inside checkpoints/).
        const fs::path given = fs::path(ckpt_path).lexically_normal();
        run.run_dir = given.parent_path().filename() == "checkpoints" ? given.parent_path().parent_path().string()
                                                                      : folder.parent_path().string();
        if (run.run_dir.empty()) run.run_dir = ".";
    }
    out << "resuming from " << ckpt_path << " (step " << ckpt.progress.step << ")\n";
    run.config = parse_train_config_text(ckpt.config_yaml, ckpt_path + " (stored config)");
    for (const std::string& item : options.resume_overrides) {
        const std::string key = item.substr(0, item.find('='));
        const std::vector<std::string> known = config_keys();
        const bool is_key = std::find(known.begin(), known.end(), key) != known.end();
        // (an unknown or misspelt key is left to apply_overrides, which says "did you mean")
        if (is_key && !key_may_change_on_resume(key) && !leaves_value_unchanged(run.config, item))
            throw UserError("override '" + item + "': " + key +
                            " cannot change when resuming (it would change the model, tokenizer, data or run identity); "
                            "start a new run instead");
    }
    apply_overrides(run.config, options.resume_overrides);
    validate(run.config);

    const auto changed_corpus = [&](const std::string& path) {
        return UserError("data.path: " + path + " has changed since the checkpoint was written "
                         "(different size or content hash); resuming on it would not continue the same run. "
                         "Use --allow-changed-corpus to resume anyway");
    };
    try {
        run.corpus = load_corpus(run.config.data.path, run.config.data.tokenizer, run.config.data.val_fraction,
                                 &ckpt.tokenizer);
    } catch (const UserError&) {
        // Say first that the corpus changed (the cause), not that a new character of it is
        // missing from the stored vocabulary (the symptom).
        if (!options.allow_changed_corpus) {
            const std::vector<char> bytes = read_file_bytes(run.config.data.path);
            if (bytes.size() != ckpt.progress.corpus_bytes ||
                fnv1a64(bytes.data(), bytes.size()) != ckpt.progress.corpus_hash)
                throw changed_corpus(run.config.data.path);
        }
        throw;
    }
    if ((run.corpus.hash != ckpt.progress.corpus_hash || run.corpus.bytes != ckpt.progress.corpus_bytes) &&
        !options.allow_changed_corpus)
        throw changed_corpus(run.corpus.path);
    check_corpus_fits(run.corpus, ckpt.model);
    run.config_yaml = to_yaml(run.config);

    run.params.emplace(ckpt.model);
    run.params->values = std::move(ckpt.params);
    run.optimizer.emplace(run.params->layout, AdamWSettings{0.9, 0.999, 1e-8, run.config.train.weight_decay});
    run.optimizer->state() = std::move(ckpt.adam);
    run.progress = ckpt.progress;
    run.resumed_finished = ckpt.progress.finished;
    run.progress.finished = false;
    // An accepted corpus change (--allow-changed-corpus) is recorded, so later checkpoints
    // describe the corpus they were trained on and the next resume is not refused again.
    run.progress.corpus_hash = run.corpus.hash;
    run.progress.corpus_bytes = run.corpus.bytes;
    return run;
}

// What start_fresh / start_resume leave in the run directory; written only after every rank
// has started and agreed (a refused multi-rank start leaves no trace).
void write_run_start(Run& run, const TrainOptions& options, std::ostream& out) {
    std::error_code ec;
    if (!options.resume.empty()) {
        run.lock = std::make_unique<RunLock>(run.run_dir);
        write_file_atomically(run.run_dir + "/config.yaml", run.config_yaml);
        truncate_metrics(run.run_dir + "/metrics.jsonl", run.progress.step);
        // Resuming from an older checkpoint abandons what came after it: its newer checkpoints
        // would otherwise outlive the new ones and be picked up by the next --resume RUN_DIR.
        for (const std::string& note : remove_checkpoints_after(run.run_dir, run.progress.step)) out << note << "\n";
        return;
    }
    if (fs::exists(run.run_dir, ec)) {  // --force, checked by start_fresh
        // --force replaces a run, never a folder that is something else (run.dir=. run.name=data).
        if (!fs::is_directory(run.run_dir, ec))
            throw UserError(run.run_dir + " exists and is not a directory; --force only replaces run directories: "
                            "choose another run.name");
        if (const std::string foreign = foreign_entry(run.run_dir); !foreign.empty())
            throw UserError(run.run_dir + " holds '" + foreign + "', which lrnn train did not make, so it is not "
                            "(only) an lrnn run directory; --force only replaces runs: choose another run.name "
                            "or move it away");
        {
            // Holding the old run's lock while removing it, so that no lrnn train can start on it
            // between the check and the removal (a `--resume` then finds it locked or gone).
            std::unique_ptr<RunLock> old_run;
            try {
                old_run = std::make_unique<RunLock>(run.run_dir);
            } catch (const UserError& e) {
                throw UserError(std::string(e.what()) + "; --force does not replace a run in progress");
            }
            fs::remove_all(run.run_dir, ec);
            if (ec) throw UserError(run.run_dir + ": cannot remove the old run (" + ec.message() + ")");
        }
        out << "replacing " << run.run_dir << " (--force)\n";
    }
    fs::create_directories(checkpoint_dir(run.run_dir), ec);
    if (ec) throw UserError(run.run_dir + ": cannot create the run directory (" + ec.message() + ")");
    run.lock = std::make_unique<RunLock>(run.run_dir);
    fs::create_directories(run.run_dir + "/samples", ec);
    write_file_atomically(run.run_dir + "/config.yaml", run.config_yaml);
    write_file_atomically(run.run_dir + "/metrics.jsonl", "");  // a fresh metrics file
}

// What this rank is about to train, for the multi-rank startup check. train.threads may differ
// between ranks: it changes no result.
StartFingerprint fingerprint(const Run& run) {
    TrainConfig config = run.config;
    config.train.threads = 0;
    const auto hash = [](const auto& v) { return fnv1a64(v.data(), v.size() * sizeof(v[0])); };
    const AdamWState& adam = run.optimizer->state();
    const TrainingProgress& p = run.progress;
    const std::uint64_t parts[] = {hash(run.params->values), hash(adam.m), hash(adam.v), std::uint64_t(adam.step),
                                   std::uint64_t(p.step), p.epoch, p.position, p.tokens_seen};
    return StartFingerprint{to_yaml(config), run.corpus.hash, fnv1a64(parts, sizeof parts)};
}

// Every rank loads the config, corpus and starting state; rank 0 writes the run directory once
// all ranks have started and agree (dist/rank_agreement.hpp). A single process: as before.
Run start_run(const TrainOptions& options, Communicator& comm, std::ostream& out) {
    Run run;
    std::string error;
    try {
        run = options.resume.empty() ? start_fresh(options) : start_resume(options, out);
    } catch (const UserError& e) {
        error = e.what();
    }
    agree_on_start(comm, error, comm.distributed() && error.empty() ? fingerprint(run) : StartFingerprint{});
    try {
        if (comm.is_root()) write_run_start(run, options, out);
    } catch (const UserError& e) {
        error = e.what();
    }
    agree_no_error(comm, error);
    return run;
}

}  // namespace

bool key_may_change_on_resume(const std::string& key) {
    if (key.rfind("generate.", 0) == 0) return true;
    static const char* allowed[] = {"train.epochs",         "train.max_steps",        "train.max_seconds",
                                    "train.threads",        "train.log_every",        "train.eval_every",
                                    "train.eval_tokens",    "train.checkpoint_every", "train.keep_checkpoints",
                                    "train.on_save_error",  "train.max_skipped_in_a_row", "dist.reduce"};
    for (const char* a : allowed)
        if (key == a) return true;
    return false;
}

// One rank's part of a run (the whole run for a single process). Only rank 0 prints, evaluates
// and writes files; every decision that could differ between ranks (a signal, the time budget,
// a failed save) is rank 0's or agreed, so that all ranks run the same steps and stop together.
static TrainResult train_this_rank(const TrainOptions& options, Communicator& comm) {
    std::ostream quiet(nullptr);  // discards: the other ranks stay quiet unless something fails
    std::ostream& out = comm.is_root() ? std::cerr : quiet;
    Run run = start_run(options, comm, out);
    const TrainConfig& cfg = run.config;
    const TrainSection& tc = cfg.train;
    Parameters<float>& params = *run.params;
    const ModelConfig& model = params.config();
    TrainingProgress& prog = run.progress;

    const int threads = tc.threads > 0 ? tc.threads : tbb::info::default_concurrency();
    tbb::global_control thread_limit(tbb::global_control::max_allowed_parallelism, std::size_t(threads));

    ChunkSampler sampler(run.corpus.train_tokens.size(), std::size_t(model.ctx_len), cfg.run.seed);
    // A resumed position past the end of the epoch (a corpus that shrank, accepted with
    // --allow-changed-corpus) starts the next epoch instead of an empty batch.
    if (prog.position >= sampler.chunks_per_epoch()) prog.position = 0, prog.epoch += 1;
    run.total_steps = planned_steps(cfg, sampler.chunks_per_epoch());
    run.steps_per_epoch = (sampler.chunks_per_epoch() + tc.batch_chunks - 1) / tc.batch_chunks;
    const LrSchedule schedule{tc.lr, tc.min_lr, tc.warmup_steps, run.total_steps, tc.schedule == "cosine"};

    out << "run " << run.run_dir << ": " << describe(model) << ", " << params.values.size()
        << " parameters\n"
        << "data " << run.corpus.path << ": " << run.corpus.bytes << " bytes, " << to_string(run.corpus.tokenizer.kind())
        << " tokenizer, " << run.corpus.train_tokens.size() << " training / " << run.corpus.val_tokens.size()
        << " validation tokens, " << sampler.chunks_per_epoch() << " chunks per epoch\n"
        << "training " << run.total_steps << " steps of " << tc.batch_chunks << " chunks x " << model.ctx_len
        << " tokens on " << threads << " threads" << (comm.distributed() ? " per rank" : "") << "\n";

    BatchGradient batch(model, std::size_t(model.ctx_len));
    GradientExchange exchange(comm, reduce_mode(cfg.dist.reduce), params.values.size());
    if (comm.distributed()) out << exchange.describe() << "\n";
    std::vector<std::span<const TokenId>> chunks;
    chunks.reserve(std::size_t(tc.batch_chunks));
    std::optional<MetricsLog> metrics;
    if (comm.is_root()) metrics.emplace(run.run_dir + "/metrics.jsonl");
    ProgressDisplay display(out, run.total_steps, tc.log_every);
    StopSignals signals;
    const auto stall = checkpoint_stall_hook();
    const std::span<const TokenId> val_all(run.corpus.val_tokens);
    const std::span<const TokenId> val_tokens =
        tc.eval_tokens > 0 && std::size_t(tc.eval_tokens) + 1 < val_all.size() ? val_all.first(std::size_t(tc.eval_tokens) + 1)
                                                                                 : val_all;
    const std::span<const std::uint32_t> val_bytes =
        std::span<const std::uint32_t>(run.corpus.val_token_bytes).first(val_tokens.size());
    std::int64_t last_saved_step = -1;
    int exit_code = kExitOk;
    // Non-finite steps in a row, counted from the start of this process (a resume starts at
    // 0: the checkpoint format has no field for it; no checkpoint is saved during a streak,
    // so a resumed run starts from before it anyway, unless a signal saved it).
    int skipped_in_a_row = 0;

    // Whether this run has no checkpoint on disk to resume from yet (for the stop messages).
    auto no_checkpoint_yet = [&] { return options.resume.empty() && last_saved_step < 0; };

    // Saves a checkpoint of the current state; false if the save failed (reported).
    auto save = [&](bool finished) -> bool {
        if (!comm.is_root()) return true;
        Checkpoint c{run.config_yaml, model, run.corpus.tokenizer, params.values, run.optimizer->state(), prog};
        c.progress.finished = finished;
        const std::string path = checkpoint_path(run.run_dir, prog.step);
        try {
            write_checkpoint(path, c, stall);
        } catch (const UserError& e) {
            display.clear_line();
            out << "error: saving the checkpoint failed: " << e.what() << "\n";
            return false;
        }
        last_saved_step = prog.step;
        if (prog.best_step == prog.step) mark_best_checkpoint(run.run_dir, path);
        prune_checkpoints(run.run_dir, tc.keep_checkpoints);
        return true;
    };

    // The saves the schedule asks for (periodic, best, last), except in the middle of a streak
    // of skipped steps: their state is the one that produced non-finite losses, and saving it
    // would let the pruning drop the good checkpoints before it. (SIGINT/SIGTERM still save:
    // the user asked for the state as it is.)
    auto save_unless_skipping = [&](bool finished) -> bool {
        if (skipped_in_a_row == 0) return save(finished);
        out << "not saving a checkpoint at step " << prog.step << ": the last " << skipped_in_a_row
            << " step(s) were skipped (non-finite loss or gradient norm)\n";
        return true;
    };

    // A failed save (reported by save()) stops the run or, by config, goes on without it;
    // either way the exit code says a checkpoint is missing. Returns the code to stop with, or 0.
    auto after_failed_save = [&]() -> int {
        exit_code = kExitSaveFailed;
        if (tc.on_save_error == "stop") {
            if (no_checkpoint_yet())
                out << "stopping: no checkpoint of this run could be saved (train.on_save_error=stop)\n";
            else
                out << "stopping: the previous checkpoints are intact (train.on_save_error=stop)\n";
            return kExitSaveFailed;
        }
        out << "continuing without this checkpoint (train.on_save_error=continue)\n";
        return 0;
    };

    auto evaluate_now = [&](JsonObject& row) {
        const EvalResult r = evaluate(params, val_tokens, val_bytes, std::size_t(model.ctx_len));
        prog.last_val_loss = r.loss;
        const bool best = r.loss < prog.best_val_loss;
        if (best) prog.best_val_loss = r.loss, prog.best_step = prog.step;
        row.add("val_loss", r.loss).add("val_ppl", r.perplexity).add("val_bpc", r.bits_per_byte);
        display.note_eval(prog.step, r.loss, r.bits_per_byte, best);
        return best;
    };

    const auto wall_start = std::chrono::steady_clock::now();
    const double elapsed_before = prog.elapsed_s;
    auto elapsed_now = [&] {
        return elapsed_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    };
    const std::uint64_t tokens_at_start = prog.tokens_seen;
    // Throughput counts the steps alone (not evaluation or checkpoint writes).
    double step_seconds = 0;
    bool stopped_by_budget = false;

    while (prog.step < run.total_steps) {
        if (int sig = comm.max_over_ranks(signals.received())) {
            display.clear_line();
            out << "received " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << " at step " << prog.step << "\n";
            prog.elapsed_s = elapsed_now();
            if (last_saved_step == prog.step || save(false)) {
                out << "checkpoint saved; continue with: lrnn train --resume " << run.run_dir << "\n";
                return TrainResult{128 + sig, run.run_dir};
            }
            return TrainResult{kExitSaveFailed, run.run_dir};
        }
        // The batch: up to batch_chunks chunks, never across an epoch boundary.
        chunks.clear();
        while (chunks.size() < std::size_t(tc.batch_chunks) && prog.position < sampler.chunks_per_epoch()) {
            const std::size_t start = sampler.chunk_start(prog.epoch, prog.position++);
            chunks.push_back(std::span<const TokenId>(run.corpus.train_tokens).subspan(start, std::size_t(model.ctx_len) + 1));
        }
        const double lr = schedule.at(prog.step);
        const auto step_start = std::chrono::steady_clock::now();
        const LossSums loss = exchange.compute(batch, params, chunks, tc.label_smoothing, mean_loss_scale(chunks));
        std::span<float> grad = batch.gradient();
        const double mean_loss = loss.optimized / double(loss.count);
        const double norm = gradient_norm(grad);
        if (!std::isfinite(mean_loss) || !std::isfinite(norm)) {
            ++prog.skipped_steps;
            ++skipped_in_a_row;
            display.clear_line();
            out << "warning: step " << prog.step + 1 << " skipped: loss " << mean_loss << ", gradient norm " << norm
                << " (" << prog.skipped_steps << " skipped so far)\n";
        } else {
            const float clip_scale = tc.grad_clip > 0 && norm > tc.grad_clip ? float(tc.grad_clip / norm) : 1.0f;
            run.optimizer->update(params.values, grad, lr, clip_scale);
            skipped_in_a_row = 0;
        }
        step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count();
        prog.step += 1;
        prog.tokens_seen += loss.count;
        if (prog.position >= sampler.chunks_per_epoch()) prog.position = 0, prog.epoch += 1;
        const double elapsed = elapsed_now();
        prog.elapsed_s = elapsed;
        const double tokens_per_s = double(prog.tokens_seen - tokens_at_start) / std::max(1e-9, step_seconds);
        if (tc.max_seconds > 0 && comm.from_root(elapsed >= tc.max_seconds) && prog.step < run.total_steps) {
            stopped_by_budget = true;
            run.total_steps = prog.step;  // the budget ends the run here
        }
        const bool last = prog.step >= run.total_steps;
        const bool eval_step = last || (tc.eval_every > 0 && prog.step % tc.eval_every == 0);
        int stop_code = 0;
        display.step(prog.step, prog.epoch, mean_loss, tokens_per_s, elapsed);
        if (eval_step || prog.step % tc.log_every == 0) {
            JsonObject row;
            row.add("step", (long long)prog.step)
                .add("epoch", (long long)prog.epoch)
                .add("lr", lr)
                .add("loss", mean_loss)
                .add("grad_norm", norm)
                .add("tokens", (long long)prog.tokens_seen)
                .add("skipped_steps", (long long)prog.skipped_steps)
                .add("tokens_per_s", tokens_per_s)
                .add("elapsed_s", elapsed);
            bool best = false;
            if (eval_step && comm.is_root()) best = evaluate_now(row);
            bool metrics_failed = false;
            if (metrics) {
                try {
                    metrics->write(row);
                } catch (const UserError& e) {
                    // A full disk, most likely: the same as a failed save, whatever
                    // train.on_save_error says (a run without its metrics is no use to go on).
                    display.clear_line();
                    out << "error: " << e.what() << "\n";
                    metrics_failed = true;
                }
            }
            const bool periodic = tc.checkpoint_every > 0 && prog.step % tc.checkpoint_every == 0;
            if (metrics_failed) {
                exit_code = kExitSaveFailed;
                if (no_checkpoint_yet())
                    out << "stopping: no checkpoint of this run was saved yet\n";
                else
                    out << "stopping: the checkpoints saved so far are intact; resume continues from the newest\n";
                stop_code = kExitSaveFailed;
            } else if ((best || periodic || last) && !save_unless_skipping(last)) {
                stop_code = after_failed_save();
            }
        } else if (tc.checkpoint_every > 0 && prog.step % tc.checkpoint_every == 0) {
            if (!save_unless_skipping(false)) stop_code = after_failed_save();
        }
        // Only rank 0 saves: the others learn here whether to stop with it.
        if ((stop_code = comm.from_root(stop_code))) return TrainResult{stop_code, run.run_dir};
        // Every rank has the same gradient, so every rank comes to this decision at once.
        if (tc.max_skipped_in_a_row > 0 && skipped_in_a_row >= tc.max_skipped_in_a_row) {
            display.clear_line();
            out << "lrnn train: error: training diverged: the last " << skipped_in_a_row << " steps (to step "
                << prog.step << ") all had a non-finite loss or gradient norm and were skipped "
                << "(train.max_skipped_in_a_row = " << tc.max_skipped_in_a_row << "); the parameters are "
                << "still those after step " << prog.step - skipped_in_a_row << " and the checkpoints saved in "
                << run.run_dir << "/checkpoints are intact. Lower train.lr or set train.grad_clip and start "
                << "again.\n"
                << std::flush;
            return TrainResult{kExitDiverged, run.run_dir};
        }
    }
    if (!comm.is_root()) return TrainResult{exit_code, run.run_dir};
    display.clear_line();
    if (stopped_by_budget) out << "stopped at the time budget (train.max_seconds = " << tc.max_seconds << ")\n";

    // Summary. Bits per byte of the best validation loss: every evaluation covers the same
    // tokens, so it is the best loss times the tokens-to-bytes ratio of the validation text.
    std::uint64_t val_text_bytes = 0;
    for (std::size_t t = 1; t < val_bytes.size(); ++t) val_text_bytes += val_bytes[t];
    const double best_val_bpc = prog.best_step >= 0 && val_text_bytes > 0
                                    ? prog.best_val_loss * double(val_tokens.size() - 1) / std::log(2.0) / double(val_text_bytes)
                                    : std::nan("");
    const double wall = prog.elapsed_s;
    const double tokens_per_s = double(prog.tokens_seen - tokens_at_start) / std::max(1e-9, step_seconds);
    JsonObject summary;
    summary.add("run_dir", run.run_dir)
        .add("parameters", (long long)params.values.size())
        .add("steps", (long long)prog.step)
        .add("epochs", (double)prog.epoch + double(prog.position) / double(std::max<std::size_t>(1, sampler.chunks_per_epoch())))
        .add("tokens", (long long)prog.tokens_seen)
        .add("skipped_steps", (long long)prog.skipped_steps)
        .add("tokens_per_s", tokens_per_s)
        .add("wall_s", wall)
        .add("final_val_loss", prog.last_val_loss)
        .add("best_val_loss", prog.best_val_loss)
        .add("best_val_bpc", best_val_bpc)
        .add("best_step", (long long)prog.best_step)
        .add("peak_rss_mb", peak_rss_mb());
    const std::string summary_path = run.run_dir + "/summary.json";
    std::error_code summary_error;
    const bool trained_now = prog.tokens_seen != tokens_at_start;
    if (!trained_now && run.resumed_finished && fs::exists(summary_path, summary_error)) {
        // A finished run resumed without extending it: nothing trained, and a rewritten
        // summary would report 0 tokens/s. The one written when it finished stays.
        out << "nothing to train: the run is complete at step " << prog.step << " (" << summary_path << " kept)\n";
    } else {
        write_file_atomically(summary_path, summary.str() + "\n");
        out << "done: " << prog.step << " steps in " << wall << " s, " << std::llround(tokens_per_s) << " tokens/s; ";
    }
    out << "best validation loss " << prog.best_val_loss << " (" << best_val_bpc << " bits per byte) at step "
        << prog.best_step << "\n"
        << "files: " << run.run_dir << "/{config.yaml,metrics.jsonl,summary.json,checkpoints/"
        << (options.print_sample ? ",samples/" : "") << "}\n";
    if (comm.distributed())
        out << "gradient exchange: " << 1e3 * exchange.exchange_seconds() / double(std::max<std::int64_t>(1, exchange.steps()))
            << " ms/step over " << exchange.steps() << " steps (" << std::llround(100 * exchange.exchange_seconds() / std::max(1e-9, step_seconds))
            << "% of the step time)\n";

    if (trained_now && !std::isfinite(prog.last_val_loss)) {
        // Finished, but into nothing: a compare (or a script) must not take it for a result.
        out << "lrnn train: error: training diverged: the final validation loss is " << prog.last_val_loss << " ("
            << prog.skipped_steps << " of " << prog.step << " steps were skipped for a non-finite loss or gradient "
            << "norm). Lower train.lr or set train.grad_clip and start again.\n"
            << std::flush;
        return TrainResult{kExitDiverged, run.run_dir};
    }
    if (options.print_sample) {
        const std::string text = sample_text(params, run.corpus.tokenizer, cfg.generate, cfg.run.seed);
        std::error_code dir_error;  // (a samples/ folder deleted by hand comes back)
        fs::create_directories(run.run_dir + "/samples", dir_error);
        write_file_atomically(run.run_dir + "/samples/final.txt", text);
        std::cout << "---- sample (" << cfg.generate.tokens << " tokens, temperature " << cfg.generate.temperature
                  << ") ----\n" << text << "\n----\n" << std::flush;
    }
    return TrainResult{exit_code, run.run_dir};
}

TrainResult run_training(const TrainOptions& options) {
    Communicator comm;  // MPI_Init when launched by mpirun/srun; nothing otherwise
    if (!comm.distributed()) return train_this_rank(options, comm);
    try {
        return train_this_rank(options, comm);
    } catch (const CollectiveError& e) {
        // Every rank stops here together. Each says why (one write, so that mpirun does not
        // interleave the lines), and waits until all have said it before any exits: mpirun
        // may kill the others as soon as the first one exits non-zero.
        std::cerr << ("lrnn train: error: " + std::string(e.what()) + "\n") << std::flush;
        (void)comm.gather_texts("");
        return TrainResult{kExitBadInput, ""};
    } catch (const std::exception& e) {
        // This rank alone failed: the others would wait for it forever, so end the whole job.
        std::cerr << "lrnn train: " << comm.prefix() << "error: " << e.what() << " (stopping all ranks)\n" << std::flush;
        comm.abort(dynamic_cast<const UserError*>(&e) ? kExitBadInput : 1);
    }
}

}  // namespace lrnn
