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
// An existing target that is not a regular file (a symlink, a device such as /dev/null, a
// FIFO, a directory) is refused: renaming over it would replace it, not write into it.
void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::function<void()>& midway = {});

// Checks now what write_file_atomically would otherwise find only at the end of a long job
// (a generation session, say): a non-empty name, a target that is absent or a regular file,
// an existing folder in which a temporary file of that name can be created (writable, name
// not too long). Throws UserError starting with `what` (e.g. "--save-state x.state").
void check_can_write_atomically(const std::string& path, const std::string& what);

}  // namespace lrnn
