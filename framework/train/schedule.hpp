#pragma once
// Learning-rate schedule: linear warmup from lr/warmup to lr over warmup_steps, then constant
// or cosine decay to min_lr at the last step.

#include <cstdint>
#include <string>

namespace lrnn {

struct LrSchedule {
    double lr;
    double min_lr;
    std::int64_t warmup_steps;
    std::int64_t total_steps;
    bool cosine;

    // The learning rate of step `step` (0-based).
    double at(std::int64_t step) const;
};

}  // namespace lrnn
