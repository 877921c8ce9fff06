#pragma once
// A token store (docs/formats.md, "Token stores"): a corpus tokenized once, as a flat
// little-endian array of token ids after a 64-byte header that says what they are (id width,
// count, vocabulary size), what they were made from (the vocabulary's and the source text's
// fingerprints) and checksums of both header and ids. Read through a memory map
// (io/mapped_file.hpp) so that the ids need no RAM of their own.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/token_id.hpp"
#include "data/tokenizer.hpp"
#include "io/atomic_file.hpp"
#include "io/mapped_file.hpp"

namespace lrnn {

inline constexpr char kTokenStoreMagic[8] = {'L', 'R', 'N', 'N', 'T', 'O', 'K', 'S'};
inline constexpr std::uint32_t kTokenStoreVersion = 1;
inline constexpr std::size_t kTokenStoreHeaderBytes = 64;

// What a store was made from: a store is used only for the same vocabulary and source.
struct TokenStoreSource {
    std::uint64_t vocabulary_fingerprint = 0;  // vocabulary_fingerprint(tokenizer)
    std::uint64_t text_fingerprint = 0;        // FNV-1a 64 of the text tokenized (Corpus::hash)
    std::uint64_t text_bytes = 0;              // its size
    bool operator==(const TokenStoreSource&) const = default;
};

struct TokenStoreHeader {
    std::uint32_t version = kTokenStoreVersion;
    std::uint32_t id_bytes = 2;  // 2: uint16 ids (vocabulary up to 65,536), 4: uint32
    std::uint64_t count = 0;     // token ids after the header
    std::uint32_t vocab_size = 0;
    TokenStoreSource source;
    std::uint32_t data_crc = 0;  // CRC-32C of the count * id_bytes bytes of ids
};

// FNV-1a 64 of the tokenizer's kind and whole vocabulary (char bytes, words, or the
// SentencePiece model): equal exactly when two tokenizers give the same ids.
std::uint64_t vocabulary_fingerprint(const Tokenizer& tokenizer);

// The store's bytes: uint16 ids when vocab_size <= 65,536, else uint32. std::invalid_argument
// for an id outside [0, vocab_size) (a caller's bug: the tokenizer made them).
std::string encode_token_store(std::span<const TokenId> ids, int vocab_size, const TokenStoreSource& source);

// Written atomically (io/atomic_file.hpp); UserError naming the path if it cannot be.
void write_token_store(const std::string& path, std::span<const TokenId> ids, int vocab_size,
                       const TokenStoreSource& source);

// A store written as its ids come (a corpus bigger than memory): the ids go to a temporary
// file beside `path`, their checksum is taken on the way, and finish() writes the header
// (count and checksums) last and renames the file into place. Without finish() nothing
// appears at `path`. std::invalid_argument for an id outside [0, vocab_size); UserError
// naming the path for a failed write.
class TokenStoreWriter {
public:
    TokenStoreWriter(const std::string& path, int vocab_size, const TokenStoreSource& source);
    void append(std::span<const TokenId> ids);
    std::uint64_t count() const { return count_; }
    void finish();

    // The same in parallel, for blocks tokenized side by side: place() reserves the next
    // `count` ids (one thread, in text order); write() encodes a placed block into `encoded`
    // and writes it at its place (any thread, each place once); checksum() then takes each
    // block's encoded bytes into the ids' checksum (one thread, in text order). finish()
    // refuses (std::logic_error) a store whose placed and checksummed bytes differ.
    std::uint64_t place(std::size_t count);
    void write(std::uint64_t first_id, std::span<const TokenId> ids, std::string& encoded) const;
    void checksum(std::string_view encoded);

private:
    AtomicFileWriter file_;
    int vocab_size_;
    std::uint32_t width_;
    TokenStoreSource source_;
    std::uint64_t count_ = 0;
    std::uint32_t data_crc_ = 0;
    std::uint64_t checksummed_bytes_ = 0;
    std::string buffer_;  // the encoded ids of one append
};

// How much of a store is checked when it is opened. Full: the header, the size, the ids'
// checksum and every id (reads the whole file: about 1 GB/s). Header: the header, its
// checksum and the size only (reads 64 bytes); ids are then range-checked as they are copied.
enum class TokenStoreCheck { Full, Header };

// A checked view of a store's bytes (which must outlive it). Construction checks the header
// (magic, version, id width, header checksum, size = header + count ids), the ids' checksum
// and that every id is below vocab_size; UserError naming `name`, the field and the byte
// offset otherwise, so a damaged store is never used.
class TokenStoreView {
public:
    TokenStoreView(std::span<const char> bytes, const std::string& name,
                   TokenStoreCheck check = TokenStoreCheck::Full);

    const TokenStoreHeader& header() const { return header_; }
    std::size_t size() const { return std::size_t(header_.count); }
    TokenId operator[](std::size_t i) const;
    // ids [first, first + out.size()) into out; std::out_of_range past the end, UserError
    // naming the store for an id outside the vocabulary (a store opened with Header checks).
    void copy(std::size_t first, std::span<TokenId> out) const;

private:
    std::string name_;
    TokenStoreHeader header_;
    const unsigned char* ids_ = nullptr;
};

// A store file, mapped and checked, and refused as stale (naming the path and what differs)
// unless it was made from `expected`.
class TokenStore {
public:
    static TokenStore open(const std::string& path, const TokenStoreSource& expected,
                           TokenStoreCheck check = TokenStoreCheck::Full);

    const TokenStoreView& ids() const { return view_; }
    const std::string& path() const { return file_.path(); }

private:
    TokenStore(MappedFile file, TokenStoreView view) : file_(std::move(file)), view_(view) {}

    MappedFile file_;
    TokenStoreView view_;
};

}  // namespace lrnn
