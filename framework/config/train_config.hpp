#pragma once
// The training recipe's configuration: YAML file + key.path=value overrides, validated, with
// errors that name the key (and file:line for the YAML). Every key, its type, default and
// meaning is listed once in train_config.cpp's schema table and documented in docs/config.md.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/config.hpp"

namespace lrnn {

struct RunSection {
    std::string name;          // default: the config file's stem
    std::string dir = "runs";  // relative to the working directory
    std::uint64_t seed = 1337;
};

struct DataSection {
    // data.path: one entry (a file, a directory or a glob) in `path`, or, when the YAML gives
    // a list, its entries in `path_list` (`path` is then ""): docs/config.md. Relative
    // entries in a file resolve against the file's folder.
    std::string path;
    std::vector<std::string> path_list;
    // data.val_path (the same forms): an explicit validation set instead of val_fraction.
    std::string val_path;
    std::vector<std::string> val_path_list;
    std::string jsonl_field = "text";  // the text of a *.jsonl record
    std::string tokenizer = "char";// char | word | auto | bpe | unigram
    int vocab_size = 2048;         // bpe / unigram: pieces to learn (data/subword_model.hpp: range)
    std::string tokenizer_path;    // bpe / unigram: an existing SentencePiece model instead of training one
    double val_fraction = 0.1;     // the last fraction of the corpus bytes

    // The entries of data.path / data.val_path, whichever form was given (none: empty).
    std::vector<std::string> path_entries() const { return entries(path, path_list); }
    std::vector<std::string> val_path_entries() const { return entries(val_path, val_path_list); }

private:
    static std::vector<std::string> entries(const std::string& one, const std::vector<std::string>& list) {
        if (!list.empty()) return list;
        if (one.empty()) return {};
        return {one};
    }
};

struct ModelSection {
    bool auto_size = false;  // YAML key model.auto
    ModelConfig shape;       // vocab_size is set from the tokenizer
};

// Stops a run whose validation loss has stopped improving (docs/config.md). YAML: a map
// train.early_stopping: {patience: N, min_delta: X}.
struct EarlyStoppingSection {
    int patience = 0;        // evaluations without an improvement by min_delta; 0 = off
    double min_delta = 0.0;  // the improvement in validation loss that counts
};

struct TrainSection {
    // Fine-tuning: the weights to start from (a run directory, a checkpoint, a seed model file
    // or a safetensors export; docs/config.md). "" = initialise from run.seed. config.yaml
    // stores the file actually read.
    std::string init_from;
    int epochs = 1;
    std::int64_t max_steps = 0;   // 0 = no limit; whichever of epochs/max_steps ends first
    double max_seconds = 0;       // 0 = no limit; wall-clock budget (not reproducible)
    int batch_chunks = 8;
    int threads = 0;              // 0 = all cores
    double lr = 2e-3;
    double min_lr = 2e-4;
    std::int64_t warmup_steps = 0;
    std::string schedule = "cosine";  // constant | cosine
    double weight_decay = 0.0;
    double grad_clip = 5.0;
    double label_smoothing = 0.0;
    std::string precision = "fp32";  // fp32 | bf16: of the matrix products (core/precision.hpp)
    std::int64_t eval_every = 0;     // 0 = only at the end
    std::int64_t eval_tokens = 0;    // 0 = the whole validation part
    std::int64_t log_every = 10;
    std::int64_t checkpoint_every = 0;  // 0 = only at the end (and on SIGINT/SIGTERM)
    int keep_checkpoints = 3;
    std::string on_save_error = "stop";  // stop | continue
    int max_skipped_in_a_row = 50;  // this many non-finite steps in a row end the run (exit 4); 0 = never
    EarlyStoppingSection early_stopping;  // keys train.early_stopping.patience, .min_delta
};

struct GenerateSection {
    int tokens = 200;
    double temperature = 0.8;
    int top_k = 0;
    double top_p = 0.95;
    std::string prompt = "\n";
    std::int64_t seed = -1;  // -1 = random
    std::string weights = "float32";  // float32 | bf16: weights of lrnn generate's one-token steps
};

// Training across MPI ranks (docs/distributed.md).
struct DistSection {
    std::string reduce = "exact";  // exact (bit-identical to one process) | fast (MPI_Allreduce)
};

struct TrainConfig {
    RunSection run;
    DataSection data;
    ModelSection model;
    TrainSection train;
    GenerateSection generate;
    DistSection dist;

    // Keys given explicitly (file or overrides): model.auto fills in only the size keys that
    // were not given.
    std::set<std::string> explicit_keys;
    // Where each explicit key was set ("c.yaml:12: " or "override 'train.lr=-1': "), so that
    // validate() can name the place of a value it refuses.
    std::map<std::string, std::string> key_origins;
};

// The model shape to train: explicit keys, or section 1's auto table for those not given when
// model.auto is true; vocab_size from the tokenizer. UserError naming the key if invalid.
ModelConfig resolve_model_config(const TrainConfig& config, std::size_t corpus_bytes,
                                 bool word_tokenizer, int vocab_size);

struct ConfigSource {
    std::string path;                    // the YAML file ("" = none)
    std::vector<std::string> overrides;  // "key.path=value"
};

// Loads (with the files it includes: a top-level `include: FILE` or a list of files, relative
// to the including file, applied first and overridden key by key), applies overrides and
// validates. UserError naming file:line and key on any problem, and the chain of files for
// an include that is missing or makes a cycle.
TrainConfig load_train_config(const ConfigSource& source);

// Parses YAML text (e.g. the config.yaml stored in a checkpoint) the same way, no overrides.
TrainConfig parse_train_config_text(const std::string& yaml_text, const std::string& origin);

// Applies overrides onto an existing config (resume: only some keys may change, see
// resumable_keys). Relative paths resolve against the working directory.
void apply_overrides(TrainConfig& config, const std::vector<std::string>& overrides);

// Every key of the schema, "run.name", "train.lr", ...
std::vector<std::string> config_keys();

// The value of one key as YAML text (for compare tables and messages).
std::string config_value(const TrainConfig& config, const std::string& key);

// The fully resolved config as YAML (every key, in schema order).
std::string to_yaml(const TrainConfig& config);

// Range and consistency checks; UserError naming the key.
void validate(const TrainConfig& config);

// The closest schema key to a misspelt one, or "" if none is close.
std::string closest_key(const std::string& key);

}  // namespace lrnn
