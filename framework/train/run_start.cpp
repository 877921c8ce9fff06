#include "train/run_start.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <ostream>


#include "config/auto_overrides.hpp"
#include "core/error.hpp"
#include "core/gemm_bf16.hpp"
#include "core/precision.hpp"
#include "core/thread_limit.hpp"
#include "dist/rank_agreement.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/corpus_file.hpp"
#include "io/output_folder.hpp"
#include "io/run_directory.hpp"
#include "io/tokenizer_file.hpp"
#include "model/packed_weights.hpp"
#include "train/available_memory.hpp"
#include "train/init_from.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

void check_corpus_fits(const TrainingData& corpus, const ModelConfig& model) {
    const std::size_t need = std::size_t(model.ctx_len) + 1;
    if (corpus.train.ids().size() < need)
        throw UserError("data.path: " + corpus.name + ": the training part has " +
                        std::to_string(corpus.train.ids().size()) + " tokens, fewer than one chunk (model.ctx_len + 1 = " +
                        std::to_string(need) + ")");
    if (corpus.val.ids().size() < need)
        throw UserError("data.path: " + corpus.name + ": the validation part (data.val_fraction) has " +
                        std::to_string(corpus.val.ids().size()) + " tokens, fewer than one chunk (model.ctx_len + 1 = " +
                        std::to_string(need) + ")");
}

// The config with the resolved model shape written back, so config.yaml says what was built.
TrainConfig with_resolved_model(TrainConfig c, const ModelConfig& shape) {
    const int vocab = c.model.shape.vocab_size;
    c.model.shape = shape;
    c.model.shape.vocab_size = vocab;
    return c;
}

std::string memory_text(double bytes) {
    char buf[32];
    if (bytes >= 1024.0 * 1024.0 * 1024.0) std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
    else std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
    return buf;
}

// Refuses, before allocating anything (and before the run directory exists), a model that
// cannot fit in the memory still available (train/available_memory.hpp): the parameters with
// their gradient and AdamW's two moments, a gradient buffer and a training workspace per
// worker thread, in bf16 the weights packed for the step (model/packed_weights.hpp), plus a
// margin of 10% and 64 MiB for what the estimate leaves out (the allocator, thread stacks,
// evaluation, the sample). Without the check the kernel kills the process part-way (exit 137,
// no message), or the allocation fails naming no setting.
void check_model_fits_in_memory(const ModelConfig& shape, const TrainConfig& config) {
    const std::optional<AvailableMemory> available = available_memory();
    if (!available) return;  // unknown: let the allocation speak
    const double threads = worker_threads(config.train.threads);
    const double parameters = double(ParameterLayout(shape).total_size());
    const double workspace = double(workspace_values(shape, std::size_t(shape.ctx_len)));
    const double packed = packed_weight_values(ParameterLayout(shape),
                                               parse_precision(config.train.precision, "train.precision"));
    const double estimate =
        sizeof(float) * (parameters * (4 + threads) + workspace * threads + packed);
    const double need = estimate * 1.1 + 64.0 * 1024 * 1024;
    if (need <= available->bytes) return;
    throw UserError("the model does not fit in memory: model.n_layer " + std::to_string(shape.n_layer) +
                    ", model.n_embd " + std::to_string(shape.n_embd) + ", model.ctx_len " +
                    std::to_string(shape.ctx_len) + " on " + std::to_string(int(threads)) +
                    " threads need about " + memory_text(need) + " (" + std::to_string(std::int64_t(parameters)) +
                    " parameters; with the 10% + 64 MiB margin), available: " + memory_text(available->bytes) +
                    " (" + available->source + "); make the model smaller or lower train.threads");
}

// AdamW as every run uses it: the default betas and epsilon, the config's weight decay.
AdamW new_optimizer(const ParameterLayout& layout, const TrainConfig& config) {
    return AdamW(layout, AdamWSettings{.weight_decay = config.train.weight_decay});
}

// A bf16 run on a CPU that can run no bf16 kernel, or with LRNN_GEMM_BF16 naming one it
// cannot, and a bf16_amx run (a new one or one resumed) on a CPU without AMX: refused before
// anything is read or replaced (core/gemm_bf16.hpp).
void check_precision_runs_here(const TrainConfig& config) {
    const Precision precision = parse_precision(config.train.precision, "train.precision");
    if (rounds_to_bf16(precision)) (void)bf16_gemm_path_for(precision);
}

// Removes a folder of stores this start wrote, and .token-stores and run.dir if that leaves
// them empty.
void remove_fresh_stores(const std::string& folder, const std::string& run_dir) {
    std::error_code ec;
    fs::remove_all(folder, ec);
    fs::remove(fs::path(run_dir) / ".token-stores", ec);
    fs::remove(run_dir, ec);
}

StartedRun start_fresh_with_data(std::ostream& out, StartedRun run,
                                 std::optional<InitialWeights> initial) {
    const TrainingData& data = *run.data;
    const ModelConfig shape = initial ? fine_tune_shape(run.config, *initial)
                                      : resolve_model_config(run.config, data.bytes,
                                                             data.tokenizer.kind() == TokenizerKind::Word,
                                                             data.tokenizer.vocab_size());
    if (const std::vector<std::string> won = keys_overriding_auto(run.config, auto_model_config(
            data.bytes, data.tokenizer.kind() == TokenizerKind::Word));
        !initial && !won.empty()) {
        std::string keys;
        for (const std::string& k : won) keys += (keys.empty() ? "" : ", ") + k;
        out << "model.auto: the config's own keys win over its choice: " << keys << "\n";
    }
    if (initial) {
        out << "fine-tuning from " << initial->source << " (" << describe(shape) << ")\n";
        run.config.train.init_from = initial->source;  // config.yaml: the file actually read
        run.config.data.tokenizer = to_string(initial->tokenizer.kind());
    }
    check_corpus_fits(data, shape);
    check_model_fits_in_memory(shape, run.config);
    run.config = with_resolved_model(run.config, shape);
    run.config_yaml = to_yaml(run.config);

    run.params.emplace(shape);
    if (initial) run.params->values = std::move(initial->params.values);  // same layout: fine_tune_shape
    else initialize_parameters<float>(run.params->layout, run.config.run.seed, run.params->values);
    run.optimizer.emplace(new_optimizer(run.params->layout, run.config));
    run.progress.corpus_hash = data.hash;
    run.progress.corpus_bytes = data.bytes;
    if (run.config.train.early_stopping.patience > 0) run.progress.early_stopping.emplace();
    return run;
}

StartedRun start_fresh(const TrainOptions& options, std::ostream& out) {
    StartedRun run;
    run.config = load_train_config(options.source);
    check_precision_runs_here(run.config);
    run.run_dir = (fs::path(run.config.run.dir) / run.config.run.name).string();
    // The output-folder rule (io/output_folder.hpp): run.dir may be made, its parent must exist.
    check_output_folder_parent(run.config.run.dir, "run.dir");
    std::error_code ec;
    if (fs::exists(run.run_dir, ec) && !options.force) {
        if (!holds_nothing_to_resume(run.run_dir))
            throw UserError("run directory " + run.run_dir + " already exists; use --force to replace it, "
                            "--resume " + run.run_dir + " to continue it, or run.name=NEW for a new run");
        run.replaces_unstarted = true;
    }
    std::optional<InitialWeights> initial;  // fine-tuning (train/init_from.hpp)
    if (!run.config.train.init_from.empty()) initial = load_initial_weights(run.config.train.init_from);
    if (initial) check_fine_tune_tokenizer(run.config, *initial);
    DataRequest request;
    if (initial) request.given = &initial->tokenizer;
    std::error_code exists_ec;
    const bool had_run_dir = fs::exists(run.config.run.dir, exists_ec);
    try {
        run.data.emplace(open_training_data(run.config, request, out));
    } catch (const UserError& e) {
        // A byte the source's vocabulary lacks is the fine-tuning's doing: say so. Anything
        // else (a missing file, a text too short) is the corpus's own problem, as without it.
        const std::string message = e.what();
        if (!initial || message.find("vocabulary") == std::string::npos) throw;
        throw UserError("train.init_from " + initial->source + ": the source's " + to_string(initial->tokenizer.kind()) +
                        " tokenizer cannot encode the corpus: " + message);
    }
    const std::string folder = run.data->folder, run_dir_parent = run.config.run.dir;
    const bool wrote_stores = !run.data->reused;
    try {
        return start_fresh_with_data(out, std::move(run), std::move(initial));
    } catch (const UserError&) {
        // A start refused after it wrote the stores into a run.dir it made leaves no trace
        // (a refused start writes nothing); kept stores, or other runs' folders, stay.
        if (!had_run_dir && wrote_stores) remove_fresh_stores(folder, run_dir_parent);
        throw;
    }
}

// The checkpoint --resume names (RUN_DIR: its newest good one), with the run directory it
// continues and the checkpoint's path.
Checkpoint resumed_checkpoint(const std::string& resume, std::ostream& out, std::string& run_dir,
                              std::string& ckpt_path) {
    std::error_code ec;
    if (fs::is_directory(resume, ec)) {
        run_dir = resume;
        return load_newest_checkpoint(run_dir, out, &ckpt_path);
    }
    if (!fs::exists(resume, ec)) throw UserError("--resume " + resume + ": no such file or directory");
    ckpt_path = resume;
    // The run continues in the run directory that holds the file: RUN_DIR/checkpoints/FILE.
    // A checkpoint anywhere else has no run directory to continue (its config.yaml and
    // metrics.jsonl), and guessing one would write into some unrelated folder.
    const fs::path folder = fs::absolute(ckpt_path).lexically_normal().parent_path();
    if (folder.filename() != "checkpoints" || !fs::is_regular_file(folder.parent_path() / "config.yaml", ec))
        throw UserError("--resume " + ckpt_path + ": not inside a run directory's checkpoints/ folder "
                        "(RUN_DIR/checkpoints/FILE, next to RUN_DIR/config.yaml); to continue from a copied "
                        "checkpoint, put it into the checkpoints/ folder of the run it came from");
    Checkpoint ckpt = read_checkpoint(ckpt_path);
    // As given when the path names the checkpoints/ folder (messages then echo the user's
    // path), absolute otherwise (e.g. a bare file name given inside checkpoints/).
    const fs::path given = fs::path(ckpt_path).lexically_normal();
    run_dir = given.parent_path().filename() == "checkpoints" ? given.parent_path().parent_path().string()
                                                              : folder.parent_path().string();
    if (run_dir.empty()) run_dir = ".";
    return ckpt;
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

// What a change of `key` on resume would change, for the refusal.
std::string what_it_would_change(const std::string& key) {
    if (key.rfind("model.", 0) == 0) return "it changes the model's shape";
    if (key == "data.tokenizer") return "it changes the tokenizer";
    if (key == "data.path" || key == "data.val_path" || key == "data.jsonl_field") return "it changes the data";
    if (key == "train.init_from") return "it names the weights the run started from";
    if (key == "train.precision")
        return "it changes the arithmetic of every matrix product, so the run would no longer continue "
               "bit-exactly (a run keeps the precision it started with)";
    if (key == "data.val_fraction") return "it changes the data: the split into training and validation text";
    if (key == "run.seed") return "it changes the data order (a pure function of the seed and the epoch)";
    if (key == "train.batch_chunks") return "it changes what a step is and where in the epoch the run stands";
    if (key == "run.name" || key == "run.dir") return "it names another run directory; a resumed run continues in its own";
    return "it changes the run";
}

// One key a resume changed, its values as YAML text (a long one shortened: a prompt may be
// kilobytes).
struct ConfigChange {
    std::string key, from, to;
};

std::string shortened(const std::string& value) {
    if (value.size() <= 80) return value;
    return value.substr(0, 60) + "... (" + std::to_string(value.size()) + " characters)";
}

// The stored config with the resume's overrides, refusing (each named, with what it would
// change) those that would change the model, tokenizer or data.
TrainConfig resumed_config(const Checkpoint& ckpt, const std::string& ckpt_path,
                           const std::vector<std::string>& overrides, std::vector<ConfigChange>& changes) {
    TrainConfig config = parse_train_config_text(ckpt.config_yaml, ckpt_path + " (stored config)");
    const std::vector<std::string> known = config_keys();
    std::string refused;
    for (const std::string& item : overrides) {
        const std::string key = item.substr(0, item.find('='));
        const bool is_key = std::find(known.begin(), known.end(), key) != known.end();
        // (an unknown or misspelt key is left to apply_overrides, which says "did you mean")
        if (is_key && !key_may_change_on_resume(key) && !leaves_value_unchanged(config, item))
            refused += std::string(refused.empty() ? "" : "; ") + "override '" + item + "': " + key +
                       (key == "train.precision" ? " (the run's is " + config.train.precision + ")" : "") +
                       " cannot change when resuming: " + what_it_would_change(key);
    }
    if (!refused.empty()) throw UserError(refused + "; start a new run instead");
    const TrainConfig stored = config;
    apply_overrides(config, overrides);
    validate(config);
    for (const std::string& key : known)
        if (const std::string from = config_value(stored, key), to = config_value(config, key); from != to)
            changes.push_back({key, shortened(from), shortened(to)});
    return config;
}

// Whether a change made on resume can change what metrics.jsonl records from there on (its
// "changed" field lists those): not the thread count (bit-exact by design), where and how
// checkpoints are saved, or what is generated after training.
bool changes_the_numbers(const std::string& key) {
    static const char* unseen[] = {"train.threads", "train.checkpoint_every", "train.keep_checkpoints",
                                   "train.on_save_error"};
    if (key.rfind("generate.", 0) == 0) return false;
    for (const char* u : unseen)
        if (key == u) return false;
    return true;
}

// config.yaml (and every checkpoint's copy of it) ends with the changes made on resume, as
// YAML comments: the config loader reads past them, and a resume from an older checkpoint
// carries the history of its own timeline.
constexpr const char* kHistoryHeading = "# history: changes made on resume (lrnn train --resume RUN_DIR KEY=VALUE)\n";

std::string config_yaml_with_history(const TrainConfig& config, const std::string& stored_yaml, std::int64_t step,
                                     const std::vector<ConfigChange>& changes) {
    std::string yaml = to_yaml(config);
    const auto at = stored_yaml.find(kHistoryHeading);
    std::string history = at == std::string::npos ? "" : stored_yaml.substr(at);
    if (!changes.empty() && history.empty()) history = kHistoryHeading;
    for (const ConfigChange& c : changes)
        history += "#   at step " + std::to_string(step) + ": " + c.key + " " + c.from + " -> " + c.to + "\n";
    return yaml + history;
}

// The corpus the checkpoint was trained on, tokenized with its stored vocabulary (the stores
// of its first start, when they are still valid: then nothing is read but their manifest); a
// changed one only with --allow-changed-corpus.
TrainingData resumed_corpus(const TrainConfig& config, const Checkpoint& ckpt, bool allow_changed, std::ostream& out) {
    const auto changed_corpus = [](const std::string& path) {
        return UserError("data.path: " + path + " has changed since the checkpoint was written "
                         "(different size or content hash); resuming on it would not continue the same run. "
                         "Use --allow-changed-corpus to resume anyway");
    };
    std::optional<TrainingData> corpus;
    try {
        DataRequest request;
        request.given = &ckpt.tokenizer;
        corpus.emplace(open_training_data(config, request, out));
    } catch (const UserError&) {
        // Say first that the corpus changed (the cause), not that a new character of it is
        // missing from the stored vocabulary (the symptom).
        if (!allow_changed) {
            const CorpusSources sources{config.data.path_entries(), config.data.val_path_entries(), config.data.jsonl_field};
            const CorpusFingerprint now = corpus_fingerprint(sources);
            if (now.bytes != ckpt.progress.corpus_bytes || now.hash != ckpt.progress.corpus_hash)
                throw changed_corpus(config.data.path_list.empty() ? config.data.path : config_value(config, "data.path"));
        }
        throw;
    }
    if ((corpus->hash != ckpt.progress.corpus_hash || corpus->bytes != ckpt.progress.corpus_bytes) && !allow_changed)
        throw changed_corpus(corpus->name);
    return std::move(*corpus);
}

// Early stopping's count where the checkpoint has none (early stopping turned on at this
// resume, or a checkpoint older than record ESTP): the evaluations every train.eval_every
// steps since the best one, measured from the best loss.
EarlyStoppingProgress derived_early_stopping(const TrainingProgress& p, std::int64_t eval_every) {
    EarlyStoppingProgress e;
    e.reference_loss = p.best_val_loss;
    if (eval_every > 0 && p.best_step >= 0) e.evals_since_improvement = p.step / eval_every - p.best_step / eval_every;
    return e;
}

StartedRun start_resume(const TrainOptions& options, std::ostream& out) {
    StartedRun run;
    std::string ckpt_path;
    Checkpoint ckpt = resumed_checkpoint(options.resume, out, run.run_dir, ckpt_path);
    out << "resuming from " << ckpt_path << " (step " << ckpt.progress.step << ")\n";
    std::vector<ConfigChange> changes;
    run.config = resumed_config(ckpt, ckpt_path, options.resume_overrides, changes);
    check_precision_runs_here(run.config);
    // The stores go beside the run directory being continued, wherever it is now: the stored
    // run.dir says where the run first started, and the folder may have moved since.
    TrainConfig beside_the_run = run.config;
    beside_the_run.run.dir = fs::path(run.run_dir).lexically_normal().parent_path().string();
    if (beside_the_run.run.dir.empty()) beside_the_run.run.dir = ".";
    run.data.emplace(resumed_corpus(beside_the_run, ckpt, options.allow_changed_corpus, out));
    check_corpus_fits(*run.data, ckpt.model);
    run.config_yaml = config_yaml_with_history(run.config, ckpt.config_yaml, ckpt.progress.step, changes);
    for (const ConfigChange& c : changes) {
        out << "changed from step " << ckpt.progress.step << ": " << c.key << " " << c.from << " -> " << c.to << "\n";
        if (changes_the_numbers(c.key))
            run.resume_changes += (run.resume_changes.empty() ? "" : "; ") + c.key + " " + c.from + " -> " + c.to;
    }

    run.params.emplace(ckpt.model);
    run.params->values = std::move(ckpt.params);
    run.optimizer.emplace(new_optimizer(run.params->layout, run.config));
    run.optimizer->state() = std::move(ckpt.adam);
    run.progress = ckpt.progress;
    if (run.config.train.early_stopping.patience == 0) run.progress.early_stopping.reset();
    else if (!run.progress.early_stopping)
        run.progress.early_stopping = derived_early_stopping(run.progress, run.config.train.eval_every);
    run.resumed_finished = ckpt.progress.finished;
    run.progress.finished = false;
    // An accepted corpus change (--allow-changed-corpus) is recorded, so later checkpoints
    // describe the corpus they were trained on and the next resume is not refused again.
    run.progress.corpus_hash = run.data->hash;
    run.progress.corpus_bytes = run.data->bytes;
    return run;
}

// Runs `write`, turning its UserError (a full disk, a read-only folder: io's writers report
// those as UserError) into an OutputError, exit code 3: not the user's input at fault.
void as_output(const std::function<void()>& write) {
    try {
        write();
    } catch (const UserError& e) {
        throw OutputError(e.what());
    }
}

// Removes an existing run directory for a fresh start into it: with --force, or one that holds
// nothing to resume (checked again under its lock, which keeps any other lrnn train out).
void replace_old_run(const StartedRun& run, std::ostream& out) {
    std::error_code ec;
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
            const std::string why = run.replaces_unstarted ? "" : "; --force does not replace a run in progress";
            throw UserError(std::string(e.what()) + why);
        }
        if (run.replaces_unstarted && !holds_nothing_to_resume(run.run_dir))
            throw UserError("run directory " + run.run_dir + " already exists; use --force to replace it, "
                            "--resume " + run.run_dir + " to continue it, or run.name=NEW for a new run");
        fs::remove_all(run.run_dir, ec);
        if (ec) throw UserError(run.run_dir + ": cannot remove the old run (" + ec.message() + ")");
    }
    if (run.replaces_unstarted)
        out << "starting " << run.run_dir << " again: it holds no checkpoint and no summary.json "
            << "(an earlier start that ended before its first checkpoint)\n";
    else
        out << "replacing " << run.run_dir << " (--force)\n";
}

// What start_fresh / start_resume leave in the run directory; written only after every rank
// has started and agreed (a refused multi-rank start leaves no trace).
void write_run_start(StartedRun& run, const TrainOptions& options, std::ostream& out) {
    std::error_code ec;
    if (!options.resume.empty()) {
        run.lock = std::make_unique<RunLock>(run.run_dir);
        as_output([&] {
            write_file_atomically(run.run_dir + "/config.yaml", run.config_yaml);
            write_tokenizer_model(run.run_dir, run.data->tokenizer);
            truncate_metrics(run.run_dir + "/metrics.jsonl", run.progress.step);
            // Resuming from an older checkpoint abandons what came after it: its newer
            // checkpoints would otherwise outlive the new ones and be picked up by the next
            // --resume RUN_DIR.
            for (const std::string& note : remove_checkpoints_after(run.run_dir, run.progress.step)) out << note << "\n";
        });
        return;
    }
    if (fs::exists(run.run_dir, ec)) replace_old_run(run, out);  // --force or nothing to resume: start_fresh
    fs::create_directories(checkpoint_dir(run.run_dir), ec);
    if (ec) throw OutputError(run.run_dir + ": cannot create the run directory (" + ec.message() + ")");
    run.lock = std::make_unique<RunLock>(run.run_dir);
    fs::create_directories(run.run_dir + "/samples", ec);
    as_output([&] {
        write_file_atomically(run.run_dir + "/config.yaml", run.config_yaml);
        write_file_atomically(run.run_dir + "/metrics.jsonl", "");  // a fresh metrics file
        write_tokenizer_model(run.run_dir, run.data->tokenizer);
    });
}

// What this rank is about to train, for the multi-rank startup check. train.threads may differ
// between ranks: it changes no result.
StartFingerprint fingerprint(const StartedRun& run) {
    TrainConfig config = run.config;
    config.train.threads = 0;
    const auto hash = [](const auto& v) { return fnv1a64(v.data(), v.size() * sizeof(v[0])); };
    const AdamWState& adam = run.optimizer->state();
    const TrainingProgress& p = run.progress;
    const std::uint64_t parts[] = {hash(run.params->values), hash(adam.m), hash(adam.v), std::uint64_t(adam.step),
                                   std::uint64_t(p.step), p.epoch, p.position, p.tokens_seen};
    return StartFingerprint{to_yaml(config), run.data->hash, fnv1a64(parts, sizeof parts)};
}

}  // namespace

bool holds_nothing_to_resume(const std::string& run_dir) {
    std::error_code ec;
    if (!fs::is_directory(run_dir, ec) || !foreign_entry(run_dir).empty()) return false;
    if (fs::exists(run_dir + "/summary.json", ec) || ec) return false;
    const std::string checkpoints = checkpoint_dir(run_dir);
    if (!fs::exists(checkpoints, ec)) return !ec;
    return fs::is_directory(checkpoints, ec) && fs::is_empty(checkpoints, ec) && !ec;
}

// Every rank loads the config, corpus and starting state; rank 0 writes the run directory once
// all ranks have started and agree (dist/rank_agreement.hpp). A single process: as before.
StartedRun start_run(const TrainOptions& options, Communicator& comm, std::ostream& out) {
    StartedRun run;
    std::string error;
    try {
        run = options.resume.empty() ? start_fresh(options, out) : start_resume(options, out);
    } catch (const UserError& e) {
        error = e.what();
    }
    agree_on_start(comm, error, comm.distributed() && error.empty() ? fingerprint(run) : StartFingerprint{});
    try {
        if (comm.is_root()) write_run_start(run, options, out);
    } catch (const OutputError& e) {
        if (!comm.distributed()) throw;  // exit code 3; across ranks, every rank stops below
        error = e.what();
    } catch (const UserError& e) {
        error = e.what();
    }
    agree_no_error(comm, error);
    return run;
}

bool key_may_change_on_resume(const std::string& key) {
    if (key.rfind("generate.", 0) == 0 || key.rfind("train.early_stopping.", 0) == 0) return true;
    // The course of the run: schedule and optimizer settings, length, intervals, threads.
    static const char* allowed[] = {
        "train.lr",           "train.min_lr",          "train.warmup_steps",     "train.schedule",
        "train.weight_decay", "train.grad_clip",       "train.label_smoothing",  "train.epochs",
        "train.max_steps",    "train.max_seconds",     "train.threads",          "train.log_every",
        "train.eval_every",   "train.eval_tokens",     "train.checkpoint_every", "train.keep_checkpoints",
        "train.on_save_error", "train.max_skipped_in_a_row", "dist.reduce"};
    for (const char* a : allowed)
        if (key == a) return true;
    return false;
}

}  // namespace lrnn
