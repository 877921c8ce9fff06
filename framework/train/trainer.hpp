#pragma once
// The training pipeline: config -> corpus/tokenizer -> chunk sampler -> data-parallel step ->
// AdamW -> metrics/checkpoints, with resume. The recipe (recipes/train.cpp) only parses flags.

#include <functional>
#include <string>
#include <vector>

#include "config/train_config.hpp"

namespace lrnn {

// Exit codes of `lrnn train` (docs/recipes.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitSaveFailed = 3;
// train.max_skipped_in_a_row steps in a row had a non-finite loss or gradient norm.
inline constexpr int kExitDiverged = 4;
// Interrupted by SIGINT / SIGTERM after saving a checkpoint: 128 + signal (130, 143).

struct TrainOptions {
    ConfigSource source;            // config file and overrides (fresh run)
    std::string resume;             // RUN_DIR or checkpoint file ("" = fresh run)
    std::vector<std::string> resume_overrides;
    bool force = false;             // replace an existing run directory
    bool allow_changed_corpus = false;
    bool print_sample = true;
};

struct TrainResult {
    int exit_code = kExitOk;
    std::string run_dir;
};

TrainResult run_training(const TrainOptions& options);

// Keys that may change when resuming (extending the run, logging, threads, generation).
bool key_may_change_on_resume(const std::string& key);

}  // namespace lrnn
