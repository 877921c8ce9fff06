#pragma once
// The optimizer's per-parameter state, as plain data: the trainer's AdamW updates it and the
// checkpoint format (io/checkpoint.hpp) stores it, without either knowing the other.

#include <cstdint>
#include <vector>

namespace lrnn {

struct AdamWState {
    std::vector<float> m;  // first moments, same layout as the parameters
    std::vector<float> v;  // second moments
    std::int64_t step = 0; // updates applied (skipped steps do not count)
};

}  // namespace lrnn
