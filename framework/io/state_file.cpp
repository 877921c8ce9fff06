#include "io/state_file.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/byte_writer.hpp"
#include "io/checksum.hpp"
#include "io/model_config_codec.hpp"

namespace lrnn {

namespace {

constexpr char kMagic[8] = {'l', 'r', 'n', 'n', 'G', 'S', 'T', '\0'};
constexpr std::size_t kHeaderBytes = 84;  // everything before the state floats
constexpr std::uint64_t kMaxPosition = std::uint64_t(1) << 48;

std::string hex(std::uint32_t v) {
    std::ostringstream s;
    s << "0x" << std::hex << v;
    return s.str();
}

[[noreturn]] void refuse(const std::string& name, const std::string& what) {
    throw UserError(name + ": " + what);
}

std::uint64_t state_floats(const ModelConfig& c) {
    return std::uint64_t(c.n_layer) * std::uint64_t(5 + 2 * c.n_mem_slots) * std::uint64_t(c.n_embd);
}

}  // namespace

std::uint32_t vocabulary_checksum(const Tokenizer& tokenizer) {
    const std::uint32_t kind = tokenizer_kind_code(tokenizer.kind());
    std::uint32_t crc = crc32c(&kind, sizeof kind);
    if (tokenizer.is_subword()) {
        crc = crc32c(tokenizer.sentencepiece_model().data(), tokenizer.sentencepiece_model().size(), crc);
    } else if (tokenizer.kind() == TokenizerKind::Char) {
        crc = crc32c(tokenizer.chars().data(), tokenizer.chars().size(), crc);
    } else {
        for (const std::string& w : tokenizer.words()) {
            const auto n = std::uint32_t(w.size());
            crc = crc32c(&n, sizeof n, crc);
            crc = crc32c(w.data(), w.size(), crc);
        }
    }
    return crc;
}

ModelFingerprint fingerprint_model(const Parameters<float>& params, const Tokenizer& tokenizer) {
    ModelFingerprint f;
    f.config = params.config();
    f.tokenizer_kind = tokenizer.kind();
    f.parameters_crc = crc32c(params.values.data(), params.values.size() * sizeof(float));
    f.vocabulary_crc = vocabulary_checksum(tokenizer);
    return f;
}

std::string encode_state_file(const SavedState& s) {
    ByteWriter out;
    out.reserve(kHeaderBytes + 4 * (s.state.size() + s.logits.size()) + 4);
    out.put_bytes(kMagic, sizeof kMagic);
    out.put<std::uint32_t>(kStateFileVersion);
    write_model_config(out, s.model.config, config_layouts::kStateFile);
    out.put<std::uint32_t>(tokenizer_kind_code(s.model.tokenizer_kind));
    out.put<std::uint32_t>(s.model.parameters_crc);
    out.put<std::uint32_t>(s.model.vocabulary_crc);
    out.put<std::uint64_t>(s.position);
    out.put<std::uint64_t>(s.state.size());
    out.put<std::uint64_t>(s.logits.size());
    out.put_floats(s.state);
    out.put_floats(s.logits);
    out.put<std::uint32_t>(crc32c(out.bytes()));
    return std::move(out).take();
}

SavedState decode_state_file(std::span<const char> bytes, const std::string& name) {
    ByteReader in(bytes, name);
    const auto fail = [&](const std::string& what) { refuse(name, what); };
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        fail("not an lrnn generation state file (no lrnnGST magic)");
    char magic[8];
    in.read_bytes(magic, sizeof magic, "magic");
    const auto version = in.read<std::uint32_t>("format version");
    if (version != kStateFileVersion)
        fail("state file format version " + std::to_string(version) + ", this build reads version " +
             std::to_string(kStateFileVersion));

    SavedState s;
    s.model.config = read_model_config(in, config_layouts::kStateFile);
    const ModelConfig& c = s.model.config;
    const auto kind = in.read<std::uint32_t>("tokenizer kind");
    s.model.parameters_crc = in.read<std::uint32_t>("parameter checksum");
    s.model.vocabulary_crc = in.read<std::uint32_t>("vocabulary checksum");
    s.position = in.read<std::uint64_t>("position");
    const auto n_state = in.read<std::uint64_t>("state size");
    const auto n_logits = in.read<std::uint64_t>("logits size");

    // The sizes come from the file: check them against each other, and the file's length
    // against them, before allocating anything.
    try {
        c.validate();
    } catch (const UserError& e) {
        fail(std::string("corrupted header: ") + e.what());
    }
    if (!kind_from_code(kind, s.model.tokenizer_kind)) fail("corrupted header: tokenizer kind " + std::to_string(kind));
    if (n_state != state_floats(c) || n_logits != std::uint64_t(c.vocab_size))
        fail("corrupted header: state/logits sizes " + std::to_string(n_state) + "/" +
             std::to_string(n_logits) + " do not fit its model config");
    if (s.position == 0) fail("corrupted header: position 0 (a state covers at least one token)");
    // No real text comes near 2^48 tokens; a larger count is damage (and would wrap around).
    if (s.position > kMaxPosition)
        fail("corrupted header: position " + std::to_string(s.position) + " (more than 2^48 tokens)");
    const std::uint64_t expected = kHeaderBytes + 4 * (n_state + n_logits) + 4;
    if (bytes.size() < expected)
        fail("truncated: " + std::to_string(bytes.size()) + " bytes, the header promises " +
             std::to_string(expected));
    if (bytes.size() > expected)
        fail(std::to_string(bytes.size() - expected) + " unexpected bytes after the end (" +
             std::to_string(expected) + " expected)");
    std::uint32_t stored = 0;
    std::memcpy(&stored, bytes.data() + expected - 4, 4);
    const std::uint32_t actual = crc32c(bytes.data(), expected - 4);
    if (stored != actual)
        fail("checksum mismatch (stored " + hex(stored) + ", computed " + hex(actual) +
             "): the file is corrupted");

    s.state.resize(n_state);
    s.logits.resize(n_logits);
    in.read_bytes(s.state.data(), n_state * sizeof(float), "state");
    in.read_bytes(s.logits.data(), n_logits * sizeof(float), "logits");
    // The model never produces NaN or infinity in a state it saves: such a value would turn
    // every following token into garbage without a word.
    const auto finite = [](const std::vector<float>& v) {
        return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
    };
    if (!finite(s.state)) fail("the state holds a non-finite value (NaN or infinity)");
    if (!finite(s.logits)) fail("the logits hold a non-finite value (NaN or infinity)");
    return s;
}

void write_state_file(const std::string& path, const SavedState& saved) {
    write_file_atomically(path, encode_state_file(saved));
}

void check_same_model(const ModelFingerprint& saved, const ModelFingerprint& expected,
                      const std::string& name) {
    const std::string prefix = name + ": this state was made by a different model: ";
    if (!(saved.config == expected.config))
        throw UserError(prefix + "its config is " + describe(saved.config) + ", this model's is " +
                        describe(expected.config));
    if (saved.tokenizer_kind != expected.tokenizer_kind)
        throw UserError(prefix + "its tokenizer is " + to_string(saved.tokenizer_kind) +
                        ", this model's is " + to_string(expected.tokenizer_kind));
    if (saved.vocabulary_crc != expected.vocabulary_crc)
        throw UserError(prefix + "same shape, but a different vocabulary");
    if (saved.parameters_crc != expected.parameters_crc)
        throw UserError(prefix + "same shape and vocabulary, but different parameters (checksum " +
                        hex(saved.parameters_crc) + ", this model's " + hex(expected.parameters_crc) + ")");
}

SavedState read_state_file(const std::string& path, const ModelFingerprint& expected) {
    SavedState s = decode_state_file(read_file_bytes(path), path);
    check_same_model(s.model, expected, path);
    return s;
}

}  // namespace lrnn
