#pragma once
// Writing a file so that it is either the whole new content or not there at all:
// a temporary file in the same directory, written, flushed, fsync'd, renamed over the target,
// and the directory fsync'd. A failure (full disk, file-size limit, read-only directory)
// throws UserError naming the path, removes the temporary file, and leaves any previous file
// at the path untouched.

#include <cstdint>
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

// The same promise for a file too big to build in memory (a token store): bytes are appended
// to a temporary file beside `path` as they come, a header may be patched in place at the end
// (write_at), and commit() fsyncs and renames it over `path`. Destroyed without commit() (an
// exception, a refused input), it removes the temporary file: `path` keeps its old content.
// UserError naming the path for any failed write.
class AtomicFileWriter {
public:
    explicit AtomicFileWriter(const std::string& path);
    AtomicFileWriter(const AtomicFileWriter&) = delete;
    AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
    ~AtomicFileWriter();

    void append(std::string_view bytes);
    // Writes inside the file as reserve() sized it: safe from several threads at once (each
    // its own range).
    void write_at(std::uint64_t offset, std::string_view bytes) const;
    // Makes the file `size` bytes long (one thread, between writes).
    void reserve(std::uint64_t size);
    std::uint64_t size() const { return size_; }
    void commit();

private:
    std::string path_;
    std::string temp_path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

}  // namespace lrnn
