#include "io/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace lrnn {

namespace {

std::string lock_path(const std::string& run_dir) { return run_dir + "/.lock"; }

std::string holder_pid(const std::string& run_dir) {
    std::ifstream in(lock_path(run_dir));
    std::string pid;
    in >> pid;
    return pid.empty() ? "unknown" : pid;
}

}  // namespace

RunLock::RunLock(const std::string& run_dir, const std::string& activity) {
    const std::string path = lock_path(run_dir);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw UserError(path + ": cannot create the run's lock file (" + std::strerror(errno) + ")");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK)
            throw UserError(run_dir + " " + activity + " (pid " + holder_pid(run_dir) +
                            "); wait for it to finish or stop it first");
        throw UserError(path + ": cannot lock the run (" + std::strerror(err) + ")");
    }
    // The pid, for the message another process shows; the lock itself is the flock.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

RunLock::~RunLock() {
    if (fd_ >= 0) ::close(fd_);
}

WaitingLock::WaitingLock(const std::string& dir) {
    const std::string path = lock_path(dir);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw UserError(path + ": cannot create the lock file (" + std::strerror(errno) + ")");
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw UserError(path + ": cannot lock (" + std::strerror(err) + ")");
    }
}

WaitingLock::~WaitingLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace lrnn
