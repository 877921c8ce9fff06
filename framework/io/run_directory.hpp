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

#include "io/checkpoint.hpp"

namespace lrnn {

std::string checkpoint_dir(const std::string& run_dir);
std::string checkpoint_path(const std::string& run_dir, std::int64_t step);

// The step a checkpoint file name stands for ("step-000000040.ckpt" -> 40), -1 if the name is
// not a step checkpoint's (best.ckpt, temporary files, anything else).
std::int64_t checkpoint_step(const std::string& path);

// Step checkpoints of a run, oldest first (by step).
std::vector<std::string> list_checkpoints(const std::string& run_dir);

// The newest checkpoint of the run that loads and verifies. Unusable newer ones are reported
// on `notes` ("skipping FILE: reason"). When no step file loads, best.ckpt is tried last.
// UserError if there is none.
Checkpoint load_newest_checkpoint(const std::string& run_dir, std::ostream& notes,
                                  std::string* path_out = nullptr);

// Removes all but the newest `keep` step checkpoints (best.ckpt is a separate link), and the
// temporary files of writes that a kill interrupted (".step-....ckpt.tmp.XXXXXX"): call it
// right after a successful save, when no write of this run is in flight.
void prune_checkpoints(const std::string& run_dir, int keep);

// Clears the step checkpoints newer than `step` out of the way, and any unreadable one, and
// says what it did, one line each (UserError if a file cannot be moved). Resuming from an
// older checkpoint (--resume FILE, or RUN_DIR past damaged newer files) starts a new
// timeline: the newer files belong to the abandoned one (their metrics rows are dropped too),
// and left in place they would make the new run's checkpoints the oldest, pruned at once, and
// a later --resume RUN_DIR would pick the abandoned timeline up again. A newer checkpoint
// that reads back fine is removed; an unreadable one (damaged, or written by another version
// of lrnn), newer or not, is renamed to FILE.unusable (FILE.unusable.2, ... if that exists)
// rather than deleted, so nothing that might still be wanted is destroyed; lrnn never
// deletes .unusable files.
std::vector<std::string> remove_checkpoints_after(const std::string& run_dir, std::int64_t step);

// The first entry of `dir` that lrnn train does not make itself ("" if none: an empty folder
// or a run directory, possibly half-made); `lrnn train --force` replaces only folders without.
std::string foreign_entry(const std::string& dir);

// Points best.ckpt at the given checkpoint (hard link, replaced atomically).
void mark_best_checkpoint(const std::string& run_dir, const std::string& checkpoint);

// Keeps the lines of metrics.jsonl whose "step" is <= last_step (resume: rows logged after
// the checkpoint are dropped, as is a line cut short by a kill). Rewritten atomically.
void truncate_metrics(const std::string& metrics_path, std::int64_t last_step);

}  // namespace lrnn
