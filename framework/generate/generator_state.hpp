#pragma once
// A generator's position, state and logits as the SavedState of a state file
// (io/state_file.hpp), and back.

#include "generate/generator.hpp"
#include "io/state_file.hpp"

namespace lrnn {

SavedState capture_state(const Generator& generator, const ModelFingerprint& model);

// Expects a state already checked against the generator's model (read_state_file does).
void restore_state(Generator& generator, const SavedState& saved);

}  // namespace lrnn
