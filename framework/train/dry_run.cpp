#include "train/dry_run.hpp"

#include <tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <sstream>
#include <vector>

#include "config/auto_overrides.hpp"
#include "core/error.hpp"
#include "config/train_config.hpp"
#include "core/thread_limit.hpp"
#include "data/chunk_sampler.hpp"
#include "model/model.hpp"
#include "model/packed_weights.hpp"
#include "train/available_memory.hpp"
#include "train/batch_gradient.hpp"
#include "train/init_from.hpp"
#include "train/prepared_corpus.hpp"
#include "train/run_corpus.hpp"

namespace lrnn {

namespace {

std::string mib(double bytes) {
    char buf[32];
    if (bytes < 1024.0 * 1024.0) std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
    else if (bytes < 1024.0 * 1024.0 * 1024.0) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
    else std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
    return buf;
}

std::string seconds_text(double s) {
    char buf[48];
    if (s < 120) std::snprintf(buf, sizeof buf, "%.3g s", s);
    else if (s < 7200) std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
    else std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
    return buf;
}

// The group a tensor of the parameter table belongs to (model-spec.md section 2).
std::string group_of(const TensorSpec& t) {
    if (t.layer < 0) return t.name == "emb" ? "embedding (emb)" : t.name == "head" ? "output head (head)" : "input/output layer norms";
    const std::string leaf = t.name.substr(t.name.rfind('.') + 1);
    if (leaf.starts_with("ffn_") || leaf == "channel_mix" || leaf.starts_with("ln2_")) return "channel mix (all layers)";
    if (leaf.starts_with("mem_gate")) return "slot memory gates (all layers)";
    return "time mix (all layers)";
}

// The corpus the run would train on: its token stores when an earlier prepare or train left
// valid ones (nothing is tokenized, nothing of it is in memory), else tokenized in memory with
// every data.* key as the run reads them (the dry run writes no store).
class DryRunCorpus {
public:
    DryRunCorpus(const TrainConfig& config, const InitialWeights* initial, std::ostream& out) {
        const Tokenizer* given = initial ? &initial->tokenizer : nullptr;
        if (initial) check_fine_tune_tokenizer(config, *initial);
        stores_ = existing_training_data(config, given, out);
        if (!stores_) memory_.emplace(initial ? fine_tune_corpus(config, *initial) : load_run_corpus(config));
    }
    const std::string& name() const { return stores_ ? stores_->name : memory_->path; }
    std::uint64_t bytes() const { return stores_ ? stores_->bytes : memory_->bytes; }
    const Tokenizer& tokenizer() const { return stores_ ? stores_->tokenizer : memory_->tokenizer; }
    std::size_t train_tokens() const { return stores_ ? stores_->train.ids().size() : memory_->train_tokens.size(); }
    std::size_t val_tokens() const { return stores_ ? stores_->val.ids().size() : memory_->val_tokens.size(); }
    // Where the counts come from, for the report.
    std::string source() const {
        return stores_ ? "read from the token stores in " + stores_->folder
                       : "tokenized in memory for this count; `lrnn prepare` or a first run writes the token "
                         "stores that later dry runs read instead";
    }
    // Training tokens [first, first + out.size()).
    void copy_train(std::size_t first, std::span<TokenId> out) const {
        if (stores_) stores_->train.ids().copy(first, out);
        else std::copy_n(memory_->train_tokens.begin() + std::ptrdiff_t(first), out.size(), out.begin());
    }

private:
    std::optional<TrainingData> stores_;
    std::optional<Corpus> memory_;
};

// Seconds per training step: forward and backward of batch_chunks real chunks on the run's
// threads, the median of a few after one to warm up. (The optimizer step, evaluation and
// checkpoints add to it.)
double measure_step_seconds(const Parameters<float>& params, const DryRunCorpus& corpus, const TrainConfig& config) {
    const ThreadLimit threads(config.train.threads);
    const std::size_t T = std::size_t(params.config().ctx_len);
    ChunkSampler sampler(corpus.train_tokens(), T, config.run.seed);
    const std::size_t batch = std::min<std::size_t>(std::size_t(config.train.batch_chunks), sampler.chunks_per_epoch());
    std::vector<TokenId> tokens(batch * (T + 1));  // (batch, T + 1)
    std::vector<std::span<const TokenId>> chunks;
    for (std::size_t i = 0; i < batch; ++i) {
        const std::span<TokenId> row = std::span(tokens).subspan(i * (T + 1), T + 1);
        corpus.copy_train(sampler.chunk_start(0, i), row);
        chunks.push_back(row);
    }
    BatchGradient gradient(params.config(), T, parse_precision(config.train.precision, "train.precision"));
    const double scale = mean_loss_scale(chunks);
    std::vector<double> times;
    for (int i = 0; i < 4; ++i) {
        const auto start = std::chrono::steady_clock::now();
        gradient.compute(params, chunks, 0, chunks.size(), config.train.label_smoothing, scale);
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin() + 1, times.end());
    return times[2];
}

}  // namespace

DryRunReport dry_run(const TrainOptions& options, bool measure, std::ostream& out) {
    TrainConfig config = load_train_config(options.source);
    std::optional<InitialWeights> initial;
    if (!config.train.init_from.empty()) initial = load_initial_weights(config.train.init_from);
    std::ostringstream notes;  // why a store folder there is not used, printed after the header
    const DryRunCorpus corpus(config, initial ? &*initial : nullptr, notes);
    const bool word = corpus.tokenizer().kind() == TokenizerKind::Word;
    const ModelConfig shape = initial ? fine_tune_shape(config, *initial)
                                      : resolve_model_config(config, corpus.bytes(), word, corpus.tokenizer().vocab_size());

    if (corpus.train_tokens() < std::size_t(shape.ctx_len) + 1)
        throw UserError("data.path: " + corpus.name() + ": the training part has " + std::to_string(corpus.train_tokens()) +
                        " tokens, fewer than one chunk (model.ctx_len + 1 = " + std::to_string(shape.ctx_len + 1) + ")");
    out << "dry run: nothing is trained or written\n" << notes.str();
    if (initial) out << "fine-tuning from " << initial->source << "\n";
    if (config.model.auto_size && !initial) {
        const ModelConfig table = auto_model_config(corpus.bytes(), word);
        const std::vector<std::string> overridden = keys_overriding_auto(config, table);
        out << "model.auto for " << corpus.bytes() << " corpus bytes chose: " << describe(table).substr(describe(table).find(' ') + 1) << "\n";
        for (const std::string& o : overridden) out << "  explicit key wins: " << o << "\n";
    }
    TrainConfig resolved = config;
    resolved.model.shape = shape;
    if (initial) resolved.train.init_from = initial->source;
    out << "---- resolved config ----\n" << to_yaml(resolved) << "----\n";

    const ParameterLayout layout(shape);
    std::map<std::string, std::int64_t> groups;
    for (const TensorSpec& t : layout.tensors()) groups[group_of(t)] += std::int64_t(t.size());
    const auto total = std::int64_t(layout.total_size());
    out << "parameters: " << total << "\n";
    for (const auto& [group, count] : groups) out << "  " << group << ": " << count << "\n";

    // The estimate of the run's up-front memory check (train/run_start.cpp), item by item.
    const int threads = config.train.threads > 0 ? config.train.threads : int(tbb::info::default_concurrency());
    const double P = double(total), f = sizeof(float);
    const double workspace = double(workspace_values(shape, std::size_t(shape.ctx_len)));
    // The ids (mapped from the stores in a run: resident as they are read) and, for word, the
    // byte count behind each validation token.
    const double data = double(corpus.train_tokens() + corpus.val_tokens()) * sizeof(TokenId) +
                        (word ? double(corpus.val_tokens()) * sizeof(std::uint32_t) : 0.0);
    const double packed = packed_weight_values(layout, parse_precision(config.train.precision, "train.precision"));
    const double estimate = f * (P * (4 + threads) + workspace * threads + packed);
    const double need = estimate * 1.1 + 64.0 * 1024 * 1024;
    out << "memory: parameters " << mib(f * P) << ", gradient " << mib(f * P) << ", optimizer (AdamW m, v) "
        << mib(2 * f * P) << ", per thread " << mib(f * (P + workspace)) << " (gradient " << mib(f * P)
        << " + workspace " << mib(f * workspace) << ") x " << threads << " threads"
        << (packed > 0 ? ", bf16 packed weights " + mib(f * packed) : std::string()) << ", data " << mib(data)
        << "\n";
    const std::optional<AvailableMemory> available = available_memory();
    out << "memory needed: " << mib(need) << " (with the 10% + 64 MiB margin); available: "
        << (available ? mib(available->bytes) + " (" + available->source + ")" : std::string("unknown"))
        << (available ? (need <= available->bytes ? ": fits" : ": DOES NOT FIT, lrnn train would refuse it") : "")
        << "\n";

    const ChunkSampler sampler(corpus.train_tokens(), std::size_t(shape.ctx_len), config.run.seed);
    const std::int64_t chunks = std::int64_t(sampler.chunks_per_epoch());
    const std::int64_t per_step = config.train.batch_chunks;
    const std::int64_t steps_per_epoch = (chunks + per_step - 1) / per_step;
    std::int64_t steps = steps_per_epoch * config.train.epochs;
    if (config.train.max_steps > 0) steps = std::min(steps, config.train.max_steps);
    out << "data: " << corpus.bytes() << " bytes, " << to_string(corpus.tokenizer().kind()) << " tokenizer ("
        << corpus.tokenizer().vocab_size() << " tokens), " << corpus.train_tokens() << " training / "
        << corpus.val_tokens() << " validation tokens (" << corpus.source() << ")\n";
    out << "tokens per epoch: " << chunks * shape.ctx_len << " (" << chunks << " chunks of " << shape.ctx_len
        << "); steps per epoch: " << steps_per_epoch << " (" << per_step << " chunks a step); steps: " << steps
        << (config.train.max_steps > 0 && steps == config.train.max_steps ? " (train.max_steps)" : "") << "\n";

    if (measure) {
        if (available && need > available->bytes)
            throw UserError("--measure: the model does not fit in memory (see above), so no step is measured");
        Parameters<float> params(shape);
        if (initial) params.values = initial->params.values;
        else initialize_parameters<float>(params.layout, config.run.seed, params.values);
        const double s = measure_step_seconds(params, corpus, config);
        out << "measured: " << seconds_text(s) << " per step (forward + backward of " << per_step << " chunks on "
            << threads << " threads); the whole run about " << seconds_text(s * double(steps)) << "\n";
    }
    return DryRunReport{total};
}

}  // namespace lrnn
