#pragma once
// Running a compare again reuses what the last one finished (docs/compare.md, "Reuse"):
//   the run directory has summary.json and the config it was trained with matches -> reuse;
//   no summary.json, config matches, a checkpoint exists                         -> resume;
//   anything else (no directory, no checkpoint, a changed config)                 -> fresh.

#include <string>

#include "config/train_config.hpp"

namespace lrnn {

// Keep: something is wrong with the earlier run that compare will not repair by deleting it.
enum class ReuseAction { Reuse, Resume, Fresh, Keep };

struct ReuseDecision {
    ReuseAction action = ReuseAction::Fresh;
    std::string reason;  // for the progress line: "config changed: train.lr 0.001 -> 0.003"
};

// "" if `stored` (a run's config.yaml) is the run `expected` describes, else the first key
// that differs, as "KEY STORED -> EXPECTED". run.name and run.dir are the directory's identity,
// not compared; with model.auto the model sizes it chose are not compared unless given;
// data.path is compared as an absolute path.
std::string config_difference(const TrainConfig& stored, const TrainConfig& expected);

ReuseDecision decide_reuse(const std::string& run_dir, const TrainConfig& expected);

}  // namespace lrnn
