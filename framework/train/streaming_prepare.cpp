#include "train/streaming_prepare.hpp"

#include <stdexcept>

namespace lrnn {

PreparedText stream_prepare(const TrainConfig&, const Tokenizer*, const std::string&, std::size_t, bool, std::ostream&) {
    throw std::logic_error("stream_prepare: not yet");
}

}  // namespace lrnn
