#pragma once
// Writing a file so that it is either the whole new content or not there at all:
// a temporary file in the same directory, written, flushed, fsync'd, renamed over the target,
// and the directory fsync'd. A failure (full disk, file-size limit, read-only directory)
// throws UserError naming the path, removes the temporary file, and leaves any previous file
// at the path untouched.

#include <functional>
#include <string>
#include <string_view>

namespace lrnn {

// `midway` (tests only: e.g. to kill the process mid-write) runs after half the bytes are
// written to the temporary file.
void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::function<void()>& midway = {});

}  // namespace lrnn
