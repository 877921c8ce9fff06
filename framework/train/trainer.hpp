#pragma once
// The training pipeline: start (train/run_start.hpp) -> per step: batch, data-parallel
// gradient, clip + AdamW, log, evaluate, checkpoint (train/run_outputs.hpp) -> summary.
// The recipe (recipes/train.cpp) parses the flags and prints the sample at the end.

#include <cstdint>
#include <optional>
#include <string>

#include "config/train_config.hpp"
#include "data/tokenizer.hpp"
#include "model/model.hpp"
#include "train/train_options.hpp"

namespace lrnn {

// The model a run ended with, for the sample the recipe prints.
struct TrainedModel {
    Parameters<float> params;
    Tokenizer tokenizer;
    GenerateSection generate;  // the sample's settings
    std::uint64_t run_seed = 0;  // run.seed: the sample's seed when generate.seed is -1
};

struct TrainResult {
    int exit_code = kExitOk;
    std::string run_dir;
    // Set on rank 0 when the run went to its end (exit code 0, or 3 after a save that failed
    // under train.on_save_error=continue); empty after a stop, a divergence and on other ranks.
    std::optional<TrainedModel> trained;
};

TrainResult run_training(const TrainOptions& options);

}  // namespace lrnn
