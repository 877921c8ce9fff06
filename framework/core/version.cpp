#include "core/version.hpp"

// Both are set for this file alone by framework/CMakeLists.txt.
#ifndef LRNN_VERSION
#error "LRNN_VERSION is defined by framework/CMakeLists.txt"
#endif
#ifndef LRNN_GIT_COMMIT
#define LRNN_GIT_COMMIT ""
#endif

namespace lrnn {

std::string version() { return LRNN_VERSION; }

std::string git_commit() { return LRNN_GIT_COMMIT; }

}  // namespace lrnn
