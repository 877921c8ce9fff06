#include "train/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace lrnn {

double LrSchedule::at(std::int64_t step) const {
    if (step < warmup_steps) return lr * double(step + 1) / double(warmup_steps);
    if (!cosine) return lr;
    const std::int64_t span = std::max<std::int64_t>(1, total_steps - 1 - warmup_steps);
    const double progress = std::clamp(double(step - warmup_steps) / double(span), 0.0, 1.0);
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + std::cos(3.14159265358979323846 * progress));
}

}  // namespace lrnn
