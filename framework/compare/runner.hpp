#pragma once
// Carrying out one planned run: read it, reuse it, resume it or train it afresh as a child
// `lrnn train` whose output goes to RUN_DIR/train.log, and turn what it left into a record.

#include <string>

#include "compare/plan.hpp"
#include "compare/progress_line.hpp"
#include "compare/run_record.hpp"

namespace lrnn {

struct ExecutedRun {
    RunRecord record;
    bool interrupted = false;  // the user's Ctrl-C stopped it: compare stops too
};

// Never throws for a run's own failure (bad config, crash, kill, unreadable files): those
// end up in record.status/error. `index` is the run's position, for the progress line.
ExecutedRun execute_run(const PlannedRun& run, const std::string& train_program, std::size_t index,
                        ProgressLine& progress);

// The record of a run directory as it is (numbers, config, metrics); status Ok when it has
// summary.json, Unfinished otherwise. UserError if it cannot be read.
RunRecord read_run_record(const std::string& name, const std::string& run_dir, const std::string& source);

}  // namespace lrnn
