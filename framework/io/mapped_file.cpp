#include "io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace lrnn {

namespace {

// Closes the descriptor however open() leaves: the mapping outlives it.
struct Descriptor {
    int fd;
    ~Descriptor() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

MappedFile MappedFile::open(const std::string& path) {
    const Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) throw UserError(path + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) throw UserError(path + ": cannot read its size (" + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode)) throw UserError(path + ": not a regular file");
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0) return MappedFile(nullptr, 0, path);
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, file.fd, 0);
    if (data == MAP_FAILED) throw UserError(path + ": cannot map the file (" + std::strerror(errno) + ")");
    return MappedFile(data, size, path);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)), path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        path_ = std::move(other.path_);
    }
    return *this;
}

MappedFile::~MappedFile() { release(); }

void MappedFile::drop_pages(std::size_t offset, std::size_t size) const noexcept {
    if (!data_ || offset >= size_) return;
    const auto page = std::size_t(::sysconf(_SC_PAGESIZE));
    const std::size_t first = (offset + page - 1) / page * page;
    const std::size_t end = std::min(size_, offset + size) / page * page;
    if (end > first) (void)::madvise(static_cast<char*>(data_) + first, end - first, MADV_DONTNEED);
}

void MappedFile::release() noexcept {
    if (data_) ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
}

}  // namespace lrnn
