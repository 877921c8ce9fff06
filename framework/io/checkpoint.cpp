#include "io/checkpoint.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <string_view>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/byte_writer.hpp"
#include "io/checksum.hpp"
#include "io/model_config_codec.hpp"
#include "model/parameters.hpp"

namespace lrnn {

namespace {

constexpr char kMagic[8] = {'L', 'R', 'N', 'N', 'C', 'K', 'P', 'T'};
constexpr std::size_t kHeaderBytes = 32;

void put_record(ByteWriter& out, const char tag[4], std::string_view body) {
    out.put_bytes(tag, 4);
    out.put<std::uint64_t>(body.size());
    out.put_bytes(body);
}

std::string encode_model(const ModelConfig& m) {
    ByteWriter b;
    write_model_config(b, m, config_layouts::kCheckpoint);
    return std::move(b).take();
}

std::string encode_tokenizer(const Tokenizer& t) {
    ByteWriter b;
    b.put<std::uint32_t>(tokenizer_kind_code(t.kind()));
    b.put<std::uint32_t>(std::uint32_t(t.vocab_size()));
    if (t.is_subword()) {
        b.put<std::uint64_t>(t.sentencepiece_model().size());
        b.put_bytes(t.sentencepiece_model());
    } else if (t.kind() == TokenizerKind::Char) {
        b.put_bytes(t.chars().data(), t.chars().size());
    } else {
        for (const std::string& w : t.words()) {
            b.put<std::uint32_t>(std::uint32_t(w.size()));
            b.put_bytes(w);
        }
    }
    return std::move(b).take();
}

// A bpe/unigram tokenizer from the model bytes of a TOKN record; fails (through `r`, naming
// the record) for bytes that are no usable model or a model of the other kind.
Tokenizer read_sentencepiece_tokenizer(ByteReader& r, std::string proto, std::uint32_t kind) {
    Tokenizer t;
    try {
        t = Tokenizer::from_sentencepiece(std::move(proto), "the stored tokenizer");
    } catch (const UserError& e) {
        r.fail(e.what());
    }
    if (tokenizer_kind_code(t.kind()) != kind)
        r.fail(std::string("the record says tokenizer kind ") + std::to_string(kind) + ", its model is " +
               to_string(t.kind()));
    return t;
}

std::string encode_adam(const AdamWState& a) {
    ByteWriter b;
    b.put(a.step);
    b.put_floats(a.m);
    b.put_floats(a.v);
    return std::move(b).take();
}

std::string encode_progress(const TrainingProgress& p) {
    ByteWriter b;
    b.put(p.step);
    b.put(p.epoch);
    b.put(p.position);
    b.put(p.skipped_steps);
    b.put(p.tokens_seen);
    b.put(p.elapsed_s);
    b.put(p.best_val_loss);
    b.put(p.best_step);
    b.put(p.last_val_loss);
    b.put(p.corpus_hash);
    b.put(p.corpus_bytes);
    b.put<std::uint8_t>(p.finished ? 1 : 0);
    return std::move(b).take();
}

std::string_view float_bytes(const std::vector<float>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)};
}

}  // namespace

void write_checkpoint(const std::string& path, const Checkpoint& c,
                      const std::function<void()>& midway) {
    ByteWriter payload;
    put_record(payload, "CONF", c.config_yaml);
    put_record(payload, "MODL", encode_model(c.model));
    put_record(payload, "TOKN", encode_tokenizer(c.tokenizer));
    put_record(payload, "PARM", float_bytes(c.params));
    put_record(payload, "ADAM", encode_adam(c.adam));
    put_record(payload, "PROG", encode_progress(c.progress));
    if (const auto& e = c.progress.early_stopping) {
        ByteWriter stop;
        stop.put(e->evals_since_improvement);
        stop.put(e->reference_loss);
        put_record(payload, "ESTP", std::move(stop).take());  // optional: older readers skip it
    }

    ByteWriter file;
    file.reserve(kHeaderBytes + payload.size());
    file.put_bytes(kMagic, 8);
    file.put<std::uint32_t>(kCheckpointVersion);
    file.put<std::uint32_t>(0);  // flags, none yet
    file.put<std::uint64_t>(payload.size());
    file.put<std::uint32_t>(crc32c(payload.bytes().data(), payload.size()));
    file.put<std::uint32_t>(crc32c(file.bytes().data(), file.size()));
    file.put_bytes(payload.bytes());
    write_file_atomically(path, file.bytes(), midway);
}

bool is_checkpoint_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[8] = {};
    return in.read(magic, 8) && std::memcmp(magic, kMagic, 8) == 0;
}

Checkpoint read_checkpoint(const std::string& path) { return parse_checkpoint(read_file_bytes(path), path); }

namespace {

// The 32-byte header: magic, version, sizes and both checksums; returns the payload's size.
std::uint64_t check_header(ByteReader& in, std::span<const char> bytes) {
    if (bytes.empty()) in.fail("checkpoint file is empty (0 bytes)");
    if (std::memcmp(bytes.data(), kMagic, std::min(bytes.size(), sizeof kMagic)) != 0)
        in.fail("not an lrnn checkpoint (wrong magic)");
    if (bytes.size() < kHeaderBytes)
        in.fail("the file is truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the " +
                std::to_string(kHeaderBytes) + "-byte checkpoint header");
    in.skip(sizeof kMagic, "checkpoint magic");
    const auto version = in.read<std::uint32_t>("checkpoint version");
    in.read<std::uint32_t>("checkpoint flags");
    const auto payload_size = in.read<std::uint64_t>("payload size");
    const auto payload_crc = in.read<std::uint32_t>("payload checksum");
    const auto header_crc = in.read<std::uint32_t>("header checksum");
    if (crc32c(bytes.data(), kHeaderBytes - 4) != header_crc)
        in.fail("header checksum mismatch: the file is corrupted");
    if (version != kCheckpointVersion)
        in.fail("checkpoint format version " + std::to_string(version) + " is not supported (this build reads version " +
                std::to_string(kCheckpointVersion) + ")");
    if (payload_size > in.remaining())
        in.fail("the file is truncated: the payload has " + std::to_string(in.remaining()) +
                " bytes, the header says " + std::to_string(payload_size));
    if (payload_size < in.remaining())
        in.fail("the file has " + std::to_string(in.remaining() - payload_size) +
                " unexpected bytes after the payload of " + std::to_string(payload_size) + " bytes");
    if (crc32c(bytes.data() + kHeaderBytes, payload_size) != payload_crc)
        in.fail("payload checksum mismatch: the file is corrupted");
    return payload_size;
}

// The payload's records by tag; each tag at most once. Unknown tags are kept (and ignored by
// the decoder): a newer writer's optional records do not make the file unreadable.
class Records {
public:
    Records(ByteReader& in, std::span<const char> bytes) : in_(in), bytes_(bytes) {
        while (in.remaining() > 0) {
            char tag[4];
            in.read_bytes(tag, 4, "record tag");
            const auto size = in.read<std::uint64_t>("record size");
            in.need(size, "record " + std::string(tag, 4));
            if (!where_.emplace(std::string(tag, 4), std::pair{in.position(), std::size_t(size)}).second)
                in.fail("record " + std::string(tag, 4) + " appears twice");
            in.skip(std::size_t(size), "record " + std::string(tag, 4));
        }
    }
    bool has(const char* tag) const { return where_.count(tag) > 0; }
    std::span<const char> operator[](const char* tag) const {
        const auto it = where_.find(tag);
        if (it == where_.end()) in_.fail(std::string("record ") + tag + " is missing");
        return bytes_.subspan(it->second.first, it->second.second);
    }

private:
    ByteReader& in_;
    std::span<const char> bytes_;
    std::map<std::string, std::pair<std::size_t, std::size_t>> where_;  // tag -> (offset, size)
};

ModelConfig decode_model(std::span<const char> body, ByteReader& in) {
    ByteReader r(body, in.file() + " (record MODL)");
    ModelConfig model = read_model_config(r, config_layouts::kCheckpoint);
    if (r.remaining()) r.fail("unexpected bytes after the model shape");
    try {
        model.validate();
    } catch (const UserError& e) {
        in.fail(e.what());
    }
    return model;
}

Tokenizer decode_char_vocabulary(ByteReader& r, std::uint32_t count) {
    if (count > 256) r.fail("char vocabulary larger than 256");
    std::vector<std::uint8_t> chars(count);
    r.read_bytes(chars.data(), count, "char vocabulary");
    try {
        return Tokenizer::from_chars(std::move(chars));
    } catch (const UserError& e) {
        r.fail(e.what());
    }
}

Tokenizer decode_word_vocabulary(ByteReader& r, std::uint32_t count) {
    if (count > r.remaining() / 4) r.fail("word vocabulary size exceeds the record");
    std::vector<std::string> words;
    words.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto len = r.read<std::uint32_t>("word length");
        r.need(len, "word " + std::to_string(i));
        std::string w(len, '\0');
        r.read_bytes(w.data(), len, "word " + std::to_string(i));
        words.push_back(std::move(w));
    }
    return Tokenizer::from_words(std::move(words));
}

Tokenizer decode_subword_model(ByteReader& r, std::uint32_t kind, std::uint32_t count) {
    const auto size = r.read<std::uint64_t>("SentencePiece model size");
    r.need(size, "SentencePiece model");
    std::string proto(std::size_t(size), '\0');
    r.read_bytes(proto.data(), proto.size(), "SentencePiece model");
    Tokenizer tokenizer = read_sentencepiece_tokenizer(r, std::move(proto), kind);
    if (std::uint32_t(tokenizer.vocab_size()) != count)
        r.fail("the SentencePiece model has " + std::to_string(tokenizer.vocab_size()) +
               " pieces, the record says " + std::to_string(count));
    return tokenizer;
}

// TOKN: kind (0 char, 1 word, 2 bpe, 3 unigram), vocabulary size, then the vocabulary.
Tokenizer decode_tokenizer(std::span<const char> body, const std::string& path, int vocab_size) {
    ByteReader r(body, path + " (record TOKN)");
    const auto kind = r.read<std::uint32_t>("tokenizer kind");
    if (kind > 3) r.fail("unknown tokenizer kind " + std::to_string(kind));
    const auto count = r.read<std::uint32_t>("vocabulary size");
    if (count != std::uint32_t(vocab_size))
        r.fail("vocabulary size " + std::to_string(count) + " disagrees with the model's " + std::to_string(vocab_size));
    Tokenizer tokenizer = kind >= 2 ? decode_subword_model(r, kind, count)
                          : kind == 0 ? decode_char_vocabulary(r, count)
                                      : decode_word_vocabulary(r, count);
    if (r.remaining()) r.fail("unexpected bytes after the vocabulary");
    return tokenizer;
}

std::vector<float> decode_parameters(std::span<const char> body, std::size_t P, ByteReader& in) {
    if (body.size() != P * sizeof(float))
        in.fail("record PARM holds " + std::to_string(body.size()) + " bytes, the model needs " +
                std::to_string(P * sizeof(float)));
    std::vector<float> params(P);
    std::memcpy(params.data(), body.data(), body.size());
    return params;
}

AdamWState decode_adam(std::span<const char> body, std::size_t P, ByteReader& in) {
    if (body.size() != 8 + 2 * P * sizeof(float))
        in.fail("record ADAM holds " + std::to_string(body.size()) + " bytes, expected " +
                std::to_string(8 + 2 * P * sizeof(float)));
    AdamWState adam;
    std::memcpy(&adam.step, body.data(), 8);
    adam.m.resize(P);
    adam.v.resize(P);
    std::memcpy(adam.m.data(), body.data() + 8, P * sizeof(float));
    std::memcpy(adam.v.data(), body.data() + 8 + P * sizeof(float), P * sizeof(float));
    return adam;
}

TrainingProgress decode_progress(std::span<const char> body, const std::string& path) {
    ByteReader r(body, path + " (record PROG)");
    TrainingProgress p;
    p.step = r.read<std::int64_t>("step");
    p.epoch = r.read<std::uint64_t>("epoch");
    p.position = r.read<std::uint64_t>("position");
    p.skipped_steps = r.read<std::int64_t>("skipped_steps");
    p.tokens_seen = r.read<std::uint64_t>("tokens_seen");
    p.elapsed_s = r.read<double>("elapsed_s");
    p.best_val_loss = r.read<double>("best_val_loss");
    p.best_step = r.read<std::int64_t>("best_step");
    p.last_val_loss = r.read<double>("last_val_loss");
    p.corpus_hash = r.read<std::uint64_t>("corpus_hash");
    p.corpus_bytes = r.read<std::uint64_t>("corpus_bytes");
    p.finished = r.read<std::uint8_t>("finished") != 0;
    if (r.remaining()) r.fail("unexpected bytes after the progress record");
    return p;
}

// ESTP (optional, written only with early stopping on).
EarlyStoppingProgress decode_early_stopping(std::span<const char> body, const std::string& path) {
    ByteReader r(body, path + " (record ESTP)");
    EarlyStoppingProgress e;
    e.evals_since_improvement = r.read<std::int64_t>("evals_since_improvement");
    e.reference_loss = r.read<double>("reference_loss");
    if (e.evals_since_improvement < 0) r.fail("evals_since_improvement is negative");
    if (r.remaining()) r.fail("unexpected bytes after the early-stopping record");
    return e;
}

}  // namespace

Checkpoint parse_checkpoint(std::span<const char> bytes, const std::string& path) {
    ByteReader in(bytes, path);
    check_header(in, bytes);
    const Records records(in, bytes);
    Checkpoint c;
    const auto config = records["CONF"];
    c.config_yaml.assign(config.begin(), config.end());
    c.model = decode_model(records["MODL"], in);
    c.tokenizer = decode_tokenizer(records["TOKN"], path, c.model.vocab_size);
    const std::size_t P = ParameterLayout(c.model).total_size();
    c.params = decode_parameters(records["PARM"], P, in);
    c.adam = decode_adam(records["ADAM"], P, in);
    c.progress = decode_progress(records["PROG"], path);
    if (records.has("ESTP")) c.progress.early_stopping = decode_early_stopping(records["ESTP"], path);
    return c;
}

}  // namespace lrnn
