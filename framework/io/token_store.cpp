#include "io/token_store.hpp"

#include <algorithm>
#include <cstring>
#include <vector>
#include <limits>
#include <stdexcept>

#include "data/corpus.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/byte_writer.hpp"
#include "io/checksum.hpp"

namespace lrnn {

namespace {

constexpr std::size_t kHeaderCrcOffset = 60;  // the header's checksum covers bytes [0, 60)

std::uint32_t id_width(int vocab_size) { return vocab_size <= 65536 ? 2 : 4; }

}  // namespace

std::uint64_t vocabulary_fingerprint(const Tokenizer& tokenizer) {
    const std::uint32_t kind = tokenizer_kind_code(tokenizer.kind());
    std::uint64_t h = fnv1a64(&kind, sizeof kind);
    const std::vector<std::uint8_t>& chars = tokenizer.chars();
    h = fnv1a64(chars.data(), chars.size(), h);
    for (const std::string& word : tokenizer.words()) {
        const std::uint64_t length = word.size();  // lengths too: {"ab", "c"} is not {"a", "bc"}
        h = fnv1a64(&length, sizeof length, h);
        h = fnv1a64(word.data(), word.size(), h);
    }
    const std::string_view model = tokenizer.sentencepiece_model();
    return fnv1a64(model.data(), model.size(), h);
}

namespace {

// The 64-byte header; its own checksum covers the 60 bytes before it.
std::string header_bytes(std::uint32_t width, std::uint64_t count, int vocab_size, const TokenStoreSource& source,
                         std::uint32_t data_crc) {
    ByteWriter out;
    out.reserve(kTokenStoreHeaderBytes);
    out.put_bytes(kTokenStoreMagic, sizeof kTokenStoreMagic);
    out.put(kTokenStoreVersion);
    out.put(width);
    out.put(count);
    out.put(static_cast<std::uint32_t>(vocab_size));
    out.put(std::uint32_t(0));  // reserved
    out.put(source.vocabulary_fingerprint);
    out.put(source.text_fingerprint);
    out.put(source.text_bytes);
    out.put(data_crc);
    out.put(crc32c(out.bytes()));
    return std::move(out).take();
}

// Little-endian ids of `width` bytes after what `out` holds (a plain loop the compiler
// vectorizes: a store of gigabytes is written at memory speed).
void append_ids(std::string& out, std::span<const TokenId> ids, int vocab_size, std::uint32_t width) {
    bool inside = true;
    for (const TokenId id : ids) inside &= id >= 0 && id < vocab_size;
    if (!inside) throw std::invalid_argument("encode_token_store: id outside the vocabulary");
    const std::size_t at = out.size();
    out.resize(at + ids.size() * width);
    char* p = out.data() + at;
    if (width == 2) {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto v = static_cast<std::uint16_t>(ids[i]);
            std::memcpy(p + 2 * i, &v, 2);
        }
    } else {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const auto v = static_cast<std::uint32_t>(ids[i]);
            std::memcpy(p + 4 * i, &v, 4);
        }
    }
}

}  // namespace

std::string encode_token_store(std::span<const TokenId> ids, int vocab_size, const TokenStoreSource& source) {
    if (vocab_size <= 0) throw std::invalid_argument("encode_token_store: vocab_size must be positive");
    const std::uint32_t width = id_width(vocab_size);
    std::string data;
    data.reserve(ids.size() * width);
    append_ids(data, ids, vocab_size, width);
    return header_bytes(width, ids.size(), vocab_size, source, crc32c(data)) + data;
}

TokenStoreWriter::TokenStoreWriter(const std::string& path, int vocab_size, const TokenStoreSource& source)
    : file_(path), vocab_size_(vocab_size), width_(vocab_size > 0 ? id_width(vocab_size) : 2), source_(source) {
    if (vocab_size <= 0) throw std::invalid_argument("TokenStoreWriter: vocab_size must be positive");
    file_.append(std::string(kTokenStoreHeaderBytes, '\0'));  // written for real by finish()
}

void TokenStoreWriter::append(std::span<const TokenId> ids) {
    write(place(ids.size()), ids, buffer_);
    checksum(buffer_);
}

std::uint64_t TokenStoreWriter::place(std::size_t count) {
    const std::uint64_t first = count_;
    count_ += count;
    file_.reserve(kTokenStoreHeaderBytes + count_ * width_);
    return first;
}

void TokenStoreWriter::write(std::uint64_t first_id, std::span<const TokenId> ids, std::string& encoded) const {
    encoded.clear();
    append_ids(encoded, ids, vocab_size_, width_);
    file_.write_at(kTokenStoreHeaderBytes + first_id * width_, encoded);
}

void TokenStoreWriter::checksum(std::string_view encoded) {
    data_crc_ = crc32c(encoded, data_crc_);
    checksummed_bytes_ += encoded.size();
}

void TokenStoreWriter::finish() {
    if (checksummed_bytes_ != count_ * width_)
        throw std::logic_error("TokenStoreWriter: the checksum does not cover the ids placed");
    file_.write_at(0, header_bytes(width_, count_, vocab_size_, source_, data_crc_));
    file_.commit();
}

void write_token_store(const std::string& path, std::span<const TokenId> ids, int vocab_size,
                       const TokenStoreSource& source) {
    write_file_atomically(path, encode_token_store(ids, vocab_size, source));
}

TokenStoreView::TokenStoreView(std::span<const char> bytes, const std::string& name, TokenStoreCheck check)
    : name_(name) {
    ByteReader r(bytes, name);
    char magic[sizeof kTokenStoreMagic];
    r.read_bytes(magic, sizeof magic, "magic");
    if (std::memcmp(magic, kTokenStoreMagic, sizeof magic) != 0) r.fail("not a token store (bad magic)");
    header_.version = r.read<std::uint32_t>("version");
    if (header_.version != kTokenStoreVersion)
        r.fail("token store version " + std::to_string(header_.version) + ", this build reads version " +
               std::to_string(kTokenStoreVersion));
    header_.id_bytes = r.read<std::uint32_t>("id_bytes");
    if (header_.id_bytes != 2 && header_.id_bytes != 4)
        r.fail("id_bytes is " + std::to_string(header_.id_bytes) + ", expected 2 (uint16) or 4 (uint32)");
    header_.count = r.read<std::uint64_t>("count");
    header_.vocab_size = r.read<std::uint32_t>("vocab_size");
    if (header_.vocab_size == 0 || header_.vocab_size > std::uint32_t(std::numeric_limits<TokenId>::max()))
        r.fail("vocab_size " + std::to_string(header_.vocab_size) + " is out of range");
    if (header_.id_bytes == 2 && header_.vocab_size > 65536)
        r.fail("uint16 ids cannot hold a vocabulary of " + std::to_string(header_.vocab_size));
    r.read<std::uint32_t>("reserved");
    header_.source.vocabulary_fingerprint = r.read<std::uint64_t>("vocabulary_fingerprint");
    header_.source.text_fingerprint = r.read<std::uint64_t>("text_fingerprint");
    header_.source.text_bytes = r.read<std::uint64_t>("text_bytes");
    header_.data_crc = r.read<std::uint32_t>("data_crc");
    const std::uint32_t stored_header_crc = r.read<std::uint32_t>("header_crc");
    if (crc32c(bytes.data(), kHeaderCrcOffset) != stored_header_crc) r.fail("header checksum mismatch: the store is damaged");
    const std::uint64_t data_bytes = std::uint64_t(r.remaining());
    if (header_.count > data_bytes / header_.id_bytes || header_.count * header_.id_bytes != data_bytes)
        r.fail("the header says " + std::to_string(header_.count) + " ids of " + std::to_string(header_.id_bytes) +
               " bytes, but " + std::to_string(data_bytes) + " bytes follow: the store is cut short or damaged");
    const char* data = bytes.data() + kTokenStoreHeaderBytes;
    ids_ = reinterpret_cast<const unsigned char*>(data);
    if (check == TokenStoreCheck::Header) return;
    if (crc32c(data, std::size_t(data_bytes)) != header_.data_crc) r.fail("token ids checksum mismatch: the store is damaged");
    for (std::size_t i = 0; i < size(); ++i)
        if (std::uint32_t((*this)[i]) >= header_.vocab_size)
            throw UserError(name + ": token " + std::to_string(i) + " is " + std::to_string(std::uint32_t((*this)[i])) +
                            ", outside the vocabulary [0, " + std::to_string(header_.vocab_size) + ")");
}

TokenId TokenStoreView::operator[](std::size_t i) const {
    if (header_.id_bytes == 2) {
        std::uint16_t v;
        std::memcpy(&v, ids_ + 2 * i, 2);
        return TokenId(v);
    }
    std::uint32_t v;
    std::memcpy(&v, ids_ + 4 * i, 4);
    return TokenId(v);
}

void TokenStoreView::copy(std::size_t first, std::span<TokenId> out) const {
    if (first > size() || out.size() > size() - first) throw std::out_of_range("TokenStoreView::copy past the end");
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = (*this)[first + i];
        if (std::uint32_t(out[i]) >= header_.vocab_size)
            throw UserError(name_ + ": token " + std::to_string(first + i) + " is " + std::to_string(std::uint32_t(out[i])) +
                            ", outside the vocabulary [0, " + std::to_string(header_.vocab_size) +
                            "): the store is damaged; delete it (lrnn prepare writes it again)");
    }
}

TokenStore TokenStore::open(const std::string& path, const TokenStoreSource& expected, TokenStoreCheck check) {
    MappedFile file = MappedFile::open(path);
    const TokenStoreView view(file.bytes(), path, TokenStoreCheck::Header);
    if (check == TokenStoreCheck::Full) {
        // The ids' checksum and range, a window at a time, each window's pages let go after it:
        // the check reads the whole file, training then touches only the chunks it samples, so
        // the check must not leave the file resident (peak RSS would grow with the corpus).
        constexpr std::size_t kWindowIds = std::size_t(4) << 20;
        std::vector<TokenId> ids;
        std::uint32_t crc = 0;
        const std::size_t width = view.header().id_bytes;
        for (std::size_t first = 0; first < view.size(); first += kWindowIds) {
            const std::size_t n = std::min(kWindowIds, view.size() - first);
            const std::size_t offset = kTokenStoreHeaderBytes + first * width;
            crc = crc32c(file.bytes().data() + offset, n * width, crc);
            ids.resize(n);
            view.copy(first, ids);  // UserError for an id outside the vocabulary
            file.drop_pages(offset, n * width);
        }
        if (crc != view.header().data_crc) throw UserError(path + ": token ids checksum mismatch: the store is damaged");
    }
    const TokenStoreSource& found = view.header().source;
    if (found.vocabulary_fingerprint != expected.vocabulary_fingerprint)
        throw UserError(path + ": stale token store: made with another vocabulary");
    if (found.text_fingerprint != expected.text_fingerprint || found.text_bytes != expected.text_bytes)
        throw UserError(path + ": stale token store: made from another text (" + std::to_string(found.text_bytes) +
                        " bytes, now " + std::to_string(expected.text_bytes) + ")");
    return TokenStore(std::move(file), view);
}

}  // namespace lrnn
