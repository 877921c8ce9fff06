#pragma once
// What `lrnn train` is asked to do (recipes/train.cpp parses it from the command line), and
// the exit codes it ends with.

#include <string>
#include <vector>

#include "config/train_config.hpp"

namespace lrnn {

// Exit codes of `lrnn train` (docs/recipes.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 2;
// A checkpoint, metrics.jsonl or config.yaml could not be written (a full disk, say).
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
    // The recipe prints (and saves) a sample at the end: the trainer's closing lines list
    // samples/ among the run's files.
    bool print_sample = true;
};

}  // namespace lrnn
