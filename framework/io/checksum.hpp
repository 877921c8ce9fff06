#pragma once
// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78): the checksum of lrnn's
// own binary files (generation state files, checkpoints). Chosen over CRC-32 (zlib) for its
// better error detection on long messages and because it is the standard of iSCSI, ext4 and
// many storage formats; check value crc32c("123456789") = 0xE3069283.
//
// Incremental use: crc32c(b, nb, crc32c(a, na)) == crc32c(a followed by b), so a file can
// be checksummed piece by piece without concatenating it in memory.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lrnn {

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t seed = 0);

inline std::uint32_t crc32c(std::string_view bytes, std::uint32_t seed = 0) {
    return crc32c(bytes.data(), bytes.size(), seed);
}

}  // namespace lrnn
