#pragma once
// Starting a run: a fresh one (config -> corpus -> model shape -> initial parameters) or a
// resumed one (checkpoint -> stored config + allowed overrides -> the same corpus), the checks
// before anything is allocated or written (the corpus holds a chunk, the model fits in
// memory, a multi-rank job agrees on what it trains), and then the run directory (written by
// rank 0 alone: --force, the lock, config.yaml, metrics.jsonl).

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "config/train_config.hpp"
#include "dist/communicator.hpp"
#include "io/checkpoint.hpp"
#include "io/run_lock.hpp"
#include "model/model.hpp"
#include "train/adamw.hpp"
#include "train/prepared_corpus.hpp"
#include "train/train_options.hpp"

namespace lrnn {

// Everything a run holds when it starts training.
struct StartedRun {
    TrainConfig config;
    std::string config_yaml;  // to_yaml(config): what config.yaml and every checkpoint store
    std::string run_dir;
    std::optional<TrainingData> data;  // the mapped token stores (always set once started)
    std::optional<Parameters<float>> params;
    std::optional<AdamW> optimizer;
    TrainingProgress progress;
    std::unique_ptr<RunLock> lock;  // held by rank 0 while it writes the run directory
    bool resumed_finished = false;  // resumed from the checkpoint a finished run wrote last
    // A fresh start into a run directory an earlier start left without a checkpoint or a
    // summary (docs/recipes.md): replaced as with --force.
    bool replaces_unstarted = false;
    // What a resume changed that can change the numbers, "KEY FROM -> TO; ..." ("" = nothing):
    // the first metrics.jsonl row written after the resume carries it as its "changed" field.
    std::string resume_changes;
};

// Starts the run on every rank (out: rank 0's messages; the other ranks pass a silent
// stream). UserError (or, on several ranks, CollectiveError) for bad input or ranks that
// disagree; OutputError if the run directory could not be written (exit code 3).
StartedRun start_run(const TrainOptions& options, Communicator& comm, std::ostream& out);

// Keys that may change when resuming (extending the run, logging, threads, generation).
bool key_may_change_on_resume(const std::string& key);

// True for a run directory that holds nothing to resume: no file in checkpoints/ and no
// summary.json, only what lrnn train makes (a start that failed before its first
// checkpoint, e.g. on a full disk, or was killed). A fresh start may replace it.
bool holds_nothing_to_resume(const std::string& run_dir);

}  // namespace lrnn
