#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "core/error.hpp"

namespace lrnn {

namespace {
std::string errno_text() { return std::strerror(errno); }

// Closes the descriptor and removes the temporary file unless released.
struct TempFile {
    int fd = -1;
    std::string path;
    bool keep = false;
    TempFile() = default;
    TempFile(TempFile&& other) noexcept
        : fd(std::exchange(other.fd, -1)), path(std::move(other.path)), keep(other.keep) {
        other.path.clear();
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    TempFile& operator=(TempFile&&) = delete;
    ~TempFile() {
        if (fd >= 0) ::close(fd);
        if (!keep && !path.empty()) ::unlink(path.c_str());
    }
};

std::filesystem::path folder_of(const std::filesystem::path& target) {
    return target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
}

// `what` starts the message: the path itself, or the option that named it.
void refuse_non_regular_target(const std::string& path, const std::string& what) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(path, ec);
    if (ec || !fs::exists(st) || fs::is_regular_file(st)) return;
    const char* kind = fs::is_symlink(st)     ? "a symbolic link"
                       : fs::is_directory(st) ? "a directory"
                       : fs::is_fifo(st)      ? "a FIFO"
                       : fs::is_socket(st)    ? "a socket"
                                              : "a device or other special file";
    throw UserError(what + ": is " + kind + "; lrnn writes only regular files (it would replace " +
                    path + ", not write into it): give the path of a regular file");
}

// ".NAME.tmp.XXXXXX" in the target's folder, created with mkstemp.
TempFile create_temporary_beside(const std::filesystem::path& target, const std::string& what) {
    TempFile tmp;
    // (built step by step: GCC 12 gives a false -Wrestrict on "." + std::string)
    std::string temp_name = ".";
    temp_name += target.filename().string();
    temp_name += ".tmp.XXXXXX";
    const std::filesystem::path dir = folder_of(target);
    std::string pattern = (dir / temp_name).string();
    tmp.fd = ::mkstemp(pattern.data());
    if (tmp.fd < 0)
        throw UserError(what + ": cannot create a temporary file in " + dir.string() + " (" +
                        errno_text() + ")");
    tmp.path = pattern;
    return tmp;
}
}  // namespace

void check_can_write_atomically(const std::string& path, const std::string& what) {
    namespace fs = std::filesystem;
    if (path.empty()) throw UserError(what + ": empty file name");
    refuse_non_regular_target(path, what);
    const fs::path folder = folder_of(fs::path(path));
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw UserError(what + ": the folder " + folder.string() + " does not exist");
    create_temporary_beside(fs::path(path), what);  // removed again when it goes out of scope
}

void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::function<void()>& midway) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = folder_of(target);

    refuse_non_regular_target(path, path);
    TempFile tmp = create_temporary_beside(target, path);

    // A write over RLIMIT_FSIZE raises SIGXFSZ, which would kill the process; ignore it so the
    // write fails with EFBIG instead and we can report it.
    std::signal(SIGXFSZ, SIG_IGN);
    std::size_t done = 0;
    bool midway_done = !midway;
    while (done < bytes.size()) {
        const std::size_t half = bytes.size() / 2;
        std::size_t limit = bytes.size();
        if (!midway_done && done < half) limit = half;
        if (!midway_done && done >= half) {
            midway();
            midway_done = true;
        }
        const ssize_t n = ::write(tmp.fd, bytes.data() + done, limit - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw UserError(path + ": write failed (" + errno_text() + "); the previous file is kept");
        }
        done += std::size_t(n);
    }
    if (::fsync(tmp.fd) != 0)
        throw UserError(path + ": fsync failed (" + errno_text() + "); the previous file is kept");
    if (::fchmod(tmp.fd, 0644) != 0) { /* permissions are cosmetic; keep going */ }
    if (::close(tmp.fd) != 0) {
        tmp.fd = -1;
        throw UserError(path + ": close failed (" + errno_text() + "); the previous file is kept");
    }
    tmp.fd = -1;
    if (::rename(tmp.path.c_str(), path.c_str()) != 0)
        throw UserError(path + ": rename failed (" + errno_text() + "); the previous file is kept");
    tmp.keep = true;
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path) {
    refuse_non_regular_target(path, path);
    TempFile tmp = create_temporary_beside(std::filesystem::path(path), path);
    std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a kill past RLIMIT_FSIZE (as above)
    fd_ = std::exchange(tmp.fd, -1);
    temp_path_ = std::exchange(tmp.path, std::string());
}

AtomicFileWriter::~AtomicFileWriter() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::append(std::string_view bytes) {
    const std::uint64_t at = size_;
    reserve(size_ + bytes.size());
    write_at(at, bytes);
}

void AtomicFileWriter::reserve(std::uint64_t size) {
    if (fd_ < 0) throw UserError(path_ + ": write after commit");
    size_ = std::max(size_, size);
}

void AtomicFileWriter::write_at(std::uint64_t offset, std::string_view bytes) const {
    if (fd_ < 0) throw UserError(path_ + ": write after commit");
    if (offset + bytes.size() > size_) throw std::logic_error("AtomicFileWriter::write_at past the reserved size");
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, off_t(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw UserError(path_ + ": write failed (" + errno_text() + "); the previous file is kept");
        }
        done += std::size_t(n);
    }
}

void AtomicFileWriter::commit() {
    if (fd_ < 0) throw UserError(path_ + ": commit after commit");
    if (::ftruncate(fd_, off_t(size_)) != 0)  // exactly the reserved size
        throw UserError(path_ + ": cannot set the file's size (" + errno_text() + "); the previous file is kept");
    if (::fsync(fd_) != 0) throw UserError(path_ + ": fsync failed (" + errno_text() + "); the previous file is kept");
    if (::fchmod(fd_, 0644) != 0) { /* permissions are cosmetic; keep going */ }
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) throw UserError(path_ + ": close failed (" + errno_text() + "); the previous file is kept");
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
        throw UserError(path_ + ": rename failed (" + errno_text() + "); the previous file is kept");
    temp_path_.clear();
    const std::filesystem::path dir = folder_of(std::filesystem::path(path_));
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

}  // namespace lrnn
