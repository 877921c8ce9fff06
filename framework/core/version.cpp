#include "core/version.hpp"

#include "core/build_info.hpp"  // generated: LRNN_VERSION, LRNN_GIT_COMMIT

namespace lrnn {

std::string version() { return LRNN_VERSION; }

std::string git_commit() { return LRNN_GIT_COMMIT; }

}  // namespace lrnn
