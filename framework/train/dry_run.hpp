#pragma once
// `lrnn train CONFIG --dry-run`: what a fresh run would do, without doing it. It resolves the
// config as the run would (include, overrides, model.auto sizing, train.init_from), reads the
// corpus, and prints the resolved config, which explicit model keys overrode what model.auto
// chose, the parameter count per tensor group and in total, the memory the run needs against
// the memory available, tokens per epoch and steps; with `measure`, the time of a few real
// training steps (forward and backward of a batch on the configured threads) and the estimate
// for the whole run. Creates nothing: no run directory, no file.

#include <cstdint>
#include <iosfwd>

#include "train/train_options.hpp"

namespace lrnn {

struct DryRunReport {
    std::int64_t parameters = 0;  // equals summary.json "parameters" of the run it describes
};

// UserError for what the run itself would refuse (a bad config, a corpus too short, a model
// that does not fit in memory is reported, not refused).
DryRunReport dry_run(const TrainOptions& options, bool measure, std::ostream& out);

}  // namespace lrnn
