#pragma once
// A whole file mapped read-only into memory (mmap), unmapped when the MappedFile goes: the
// pages are the kernel's page cache, read on first touch and shared with every other process
// mapping the file, so a corpus bigger than memory costs address space, not RAM.

#include <cstddef>
#include <span>
#include <string>
#include <utility>

namespace lrnn {

class MappedFile {
public:
    // UserError naming the path if it cannot be opened or mapped, or is not a regular file.
    // An empty file maps to no bytes.
    static MappedFile open(const std::string& path);

    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const char> bytes() const { return {static_cast<const char*>(data_), size_}; }
    const std::string& path() const { return path_; }
    // Lets go of the pages this process has touched (madvise MADV_DONTNEED): they stay in the
    // page cache and come back on the next touch, but no longer count in its resident memory
    // (after a check that read the whole file, say).
    void drop_pages() const noexcept { drop_pages(0, size_); }
    // The same for bytes [offset, offset + size) (the whole pages inside them).
    void drop_pages(std::size_t offset, std::size_t size) const noexcept;

private:
    MappedFile(void* data, std::size_t size, std::string path) : data_(data), size_(size), path_(std::move(path)) {}
    void release() noexcept;

    void* data_ = nullptr;
    std::size_t size_ = 0;
    std::string path_;
};

}  // namespace lrnn
