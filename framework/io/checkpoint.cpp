#include "io/checkpoint.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/checksum.hpp"
#include "model/parameters.hpp"

namespace lrnn {

namespace {

constexpr char kMagic[8] = {'L', 'R', 'N', 'N', 'C', 'K', 'P', 'T'};
constexpr std::size_t kHeaderBytes = 32;

// Little-endian append helpers (the format is little-endian; so is every machine we build for).
template <typename T>
void put(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}
void put_bytes(std::string& out, const void* data, std::size_t n) {
    out.append(static_cast<const char*>(data), n);
}
void put_record(std::string& out, const char tag[4], const std::string& body) {
    out.append(tag, 4);
    put<std::uint64_t>(out, body.size());
    out += body;
}

std::string encode_model(const ModelConfig& m) {
    std::string b;
    for (int v : {m.vocab_size, m.n_layer, m.n_embd, m.n_head, m.ctx_len, m.decay_lora_rank,
                  m.n_mem_slots})
        put<std::int32_t>(b, v);
    put<double>(b, m.ffn_multiplier);
    return b;
}

std::string encode_tokenizer(const Tokenizer& t) {
    std::string b;
    put<std::uint32_t>(b, t.kind() == TokenizerKind::Char ? 0 : 1);
    put<std::uint32_t>(b, std::uint32_t(t.vocab_size()));
    if (t.kind() == TokenizerKind::Char) {
        put_bytes(b, t.chars().data(), t.chars().size());
    } else {
        for (const std::string& w : t.words()) {
            put<std::uint32_t>(b, std::uint32_t(w.size()));
            b += w;
        }
    }
    return b;
}

std::string encode_progress(const TrainingProgress& p) {
    std::string b;
    put(b, p.step);
    put(b, p.epoch);
    put(b, p.position);
    put(b, p.skipped_steps);
    put(b, p.tokens_seen);
    put(b, p.elapsed_s);
    put(b, p.best_val_loss);
    put(b, p.best_step);
    put(b, p.last_val_loss);
    put(b, p.corpus_hash);
    put(b, p.corpus_bytes);
    put<std::uint8_t>(b, p.finished ? 1 : 0);
    return b;
}

std::string floats(const std::vector<float>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

}  // namespace

void write_checkpoint(const std::string& path, const Checkpoint& c,
                      const std::function<void()>& midway) {
    std::string payload;
    put_record(payload, "CONF", c.config_yaml);
    put_record(payload, "MODL", encode_model(c.model));
    put_record(payload, "TOKN", encode_tokenizer(c.tokenizer));
    put_record(payload, "PARM", floats(c.params));
    std::string adam;
    put(adam, c.adam.step);
    adam += floats(c.adam.m);
    adam += floats(c.adam.v);
    put_record(payload, "ADAM", adam);
    put_record(payload, "PROG", encode_progress(c.progress));
    if (const auto& e = c.progress.early_stopping) {
        std::string stop;
        put(stop, e->evals_since_improvement);
        put(stop, e->reference_loss);
        put_record(payload, "ESTP", stop);  // optional: older readers skip it
    }

    std::string file;
    file.append(kMagic, 8);
    put<std::uint32_t>(file, kCheckpointVersion);
    put<std::uint32_t>(file, 0);  // flags, none yet
    put<std::uint64_t>(file, payload.size());
    put<std::uint32_t>(file, crc32c(payload.data(), payload.size()));
    put<std::uint32_t>(file, crc32c(file.data(), file.size()));
    file += payload;
    write_file_atomically(path, file, midway);
}

bool is_checkpoint_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[8] = {};
    return in.read(magic, 8) && std::memcmp(magic, kMagic, 8) == 0;
}

Checkpoint read_checkpoint(const std::string& path) {
    const std::vector<char> bytes = read_file_bytes(path);
    ByteReader in(bytes, path);
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

    // Records, by tag.
    std::map<std::string, std::pair<std::size_t, std::size_t>> records;  // tag -> (offset, size)
    while (in.remaining() > 0) {
        char tag[4];
        in.read_bytes(tag, 4, "record tag");
        const auto size = in.read<std::uint64_t>("record size");
        in.need(size, "record " + std::string(tag, 4));
        if (!records.emplace(std::string(tag, 4), std::pair{in.position(), std::size_t(size)}).second)
            in.fail("record " + std::string(tag, 4) + " appears twice");
        in.skip(std::size_t(size), "record " + std::string(tag, 4));
    }
    auto record = [&](const char* tag) {
        const auto it = records.find(tag);
        if (it == records.end()) in.fail(std::string("record ") + tag + " is missing");
        std::vector<char> body(bytes.begin() + it->second.first,
                               bytes.begin() + it->second.first + it->second.second);
        return body;
    };

    Checkpoint c;
    {
        const auto body = record("CONF");
        c.config_yaml.assign(body.begin(), body.end());
    }
    {
        const auto body = record("MODL");
        ByteReader r(body, path + " (record MODL)");
        c.model.vocab_size = r.read<std::int32_t>("vocab_size");
        c.model.n_layer = r.read<std::int32_t>("n_layer");
        c.model.n_embd = r.read<std::int32_t>("n_embd");
        c.model.n_head = r.read<std::int32_t>("n_head");
        c.model.ctx_len = r.read<std::int32_t>("ctx_len");
        c.model.decay_lora_rank = r.read<std::int32_t>("decay_lora_rank");
        c.model.n_mem_slots = r.read<std::int32_t>("n_mem_slots");
        c.model.ffn_multiplier = r.read<double>("ffn_multiplier");
        if (r.remaining()) r.fail("unexpected bytes after the model shape");
        try {
            c.model.validate();
        } catch (const UserError& e) {
            in.fail(e.what());
        }
    }
    {
        const auto body = record("TOKN");
        ByteReader r(body, path + " (record TOKN)");
        const auto kind = r.read<std::uint32_t>("tokenizer kind");
        if (kind > 1) r.fail("unknown tokenizer kind " + std::to_string(kind));
        const auto count = r.read<std::uint32_t>("vocabulary size");
        if (count != std::uint32_t(c.model.vocab_size))
            r.fail("vocabulary size " + std::to_string(count) + " disagrees with the model's " +
                   std::to_string(c.model.vocab_size));
        if (kind == 0) {
            if (count > 256) r.fail("char vocabulary larger than 256");
            std::vector<std::uint8_t> chars(count);
            r.read_bytes(chars.data(), count, "char vocabulary");
            try {
                c.tokenizer = Tokenizer::from_chars(std::move(chars));
            } catch (const UserError& e) {
                r.fail(e.what());
            }
        } else {
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
            c.tokenizer = Tokenizer::from_words(std::move(words));
        }
        if (r.remaining()) r.fail("unexpected bytes after the vocabulary");
    }
    const std::size_t P = ParameterLayout(c.model).total_size();
    {
        const auto body = record("PARM");
        if (body.size() != P * sizeof(float))
            in.fail("record PARM holds " + std::to_string(body.size()) + " bytes, the model needs " +
                    std::to_string(P * sizeof(float)));
        c.params.resize(P);
        std::memcpy(c.params.data(), body.data(), body.size());
    }
    {
        const auto body = record("ADAM");
        if (body.size() != 8 + 2 * P * sizeof(float))
            in.fail("record ADAM holds " + std::to_string(body.size()) + " bytes, expected " +
                    std::to_string(8 + 2 * P * sizeof(float)));
        std::memcpy(&c.adam.step, body.data(), 8);
        c.adam.m.resize(P);
        c.adam.v.resize(P);
        std::memcpy(c.adam.m.data(), body.data() + 8, P * sizeof(float));
        std::memcpy(c.adam.v.data(), body.data() + 8 + P * sizeof(float), P * sizeof(float));
    }
    {
        const auto body = record("PROG");
        ByteReader r(body, path + " (record PROG)");
        TrainingProgress& p = c.progress;
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
    }
    if (records.count("ESTP")) {
        const auto body = record("ESTP");
        ByteReader r(body, path + " (record ESTP)");
        EarlyStoppingProgress e;
        e.evals_since_improvement = r.read<std::int64_t>("evals_since_improvement");
        e.reference_loss = r.read<double>("reference_loss");
        if (e.evals_since_improvement < 0) r.fail("evals_since_improvement is negative");
        if (r.remaining()) r.fail("unexpected bytes after the early-stopping record");
        c.progress.early_stopping = e;
    }
    return c;
}

}  // namespace lrnn
