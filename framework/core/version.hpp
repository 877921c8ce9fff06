#pragma once
// Which lrnn this is: `lrnn --version` and summary.json's "version" and "git_commit".

#include <string>

namespace lrnn {

// The project version of CMakeLists.txt, "0.2.0".
std::string version();

// The commit the build was configured from (40 hex digits), "" when not built from a git
// checkout (a source archive, no git installed).
std::string git_commit();

}  // namespace lrnn
