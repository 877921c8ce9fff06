#pragma once
// The run directory RUN_DIR = run.dir/run.name:
//   config.yaml       the fully resolved config
//   metrics.jsonl     one JSON object per logged step
//   checkpoints/      step-NNNNNNNNN.ckpt (newest train.keep_checkpoints kept), best.ckpt
//   summary.json      the final numbers, written at the end
//   samples/          the text sampled at the end

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "train/checkpoint.hpp"

namespace lrnn {

std::string checkpoint_dir(const std::string& run_dir);
std::string checkpoint_path(const std::string& run_dir, std::int64_t step);

// Step checkpoints of a run, oldest first.
std::vector<std::string> list_checkpoints(const std::string& run_dir);

// The newest checkpoint of the run that loads and verifies. Unusable newer ones are reported
// on `notes` ("skipping FILE: reason"). UserError if there is none.
Checkpoint load_newest_checkpoint(const std::string& run_dir, std::ostream& notes,
                                  std::string* path_out = nullptr);

// Removes all but the newest `keep` step checkpoints (best.ckpt is a separate link).
void prune_checkpoints(const std::string& run_dir, int keep);

// Points best.ckpt at the given checkpoint (hard link, replaced atomically).
void mark_best_checkpoint(const std::string& run_dir, const std::string& checkpoint);

// Keeps the lines of metrics.jsonl whose "step" is <= last_step (resume: rows logged after
// the checkpoint are dropped, as is a line cut short by a kill). Rewritten atomically.
void truncate_metrics(const std::string& metrics_path, std::int64_t last_step);

}  // namespace lrnn
