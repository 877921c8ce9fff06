#include "generate/generator_state.hpp"

namespace lrnn {

SavedState capture_state(const Generator& generator, const ModelFingerprint& model) {
    SavedState s;
    s.model = model;
    s.position = generator.position();
    s.state.assign(generator.state().flat().begin(), generator.state().flat().end());
    s.logits.assign(generator.logits().begin(), generator.logits().end());
    return s;
}

void restore_state(Generator& generator, const SavedState& saved) {
    generator.restore(saved.state, saved.logits, saved.position);
}

}  // namespace lrnn
