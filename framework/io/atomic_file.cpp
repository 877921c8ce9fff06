#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"

namespace lrnn {

namespace {
std::string errno_text() { return std::strerror(errno); }

// Closes the descriptor and removes the temporary file unless released.
struct TempFile {
    int fd = -1;
    std::string path;
    bool keep = false;
    ~TempFile() {
        if (fd >= 0) ::close(fd);
        if (!keep && !path.empty()) ::unlink(path.c_str());
    }
};
}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::function<void()>& midway) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");

    TempFile tmp;
    // (built step by step: GCC 12 gives a false -Wrestrict on "." + std::string)
    std::string temp_name = ".";
    temp_name += target.filename().string();
    temp_name += ".tmp.XXXXXX";
    std::string pattern = (dir / temp_name).string();
    tmp.fd = ::mkstemp(pattern.data());
    if (tmp.fd < 0)
        throw UserError(path + ": cannot create a temporary file in " + dir.string() + " (" +
                        errno_text() + ")");
    tmp.path = pattern;

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

}  // namespace lrnn
