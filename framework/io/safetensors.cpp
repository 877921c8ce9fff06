#include "io/safetensors.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"
#include "io/byte_writer.hpp"
#include "io/tokenizer_json.hpp"

namespace lrnn {

namespace {

// Far above any header lrnn writes (a word vocabulary of a million entries is ~20 MB); the
// reference implementation refuses headers over 100 MB too.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

constexpr const char* kMetadataKey = "__metadata__";

std::vector<std::size_t> tensor_shape(const TensorSpec& t) {
    return t.is_vector() ? std::vector<std::size_t>{t.rows} : std::vector<std::size_t>{t.rows, t.cols};
}

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string out = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
    return out + "]";
}

// The eight fields of ModelConfig, in the order model-spec.md section 1 lists them.
struct IntField {
    const char* name;
    int ModelConfig::*member;
};
constexpr IntField kIntFields[] = {
    {"vocab_size", &ModelConfig::vocab_size},   {"n_layer", &ModelConfig::n_layer},
    {"n_embd", &ModelConfig::n_embd},           {"n_head", &ModelConfig::n_head},
    {"ctx_len", &ModelConfig::ctx_len},         {"decay_lora_rank", &ModelConfig::decay_lora_rank},
    {"n_mem_slots", &ModelConfig::n_mem_slots},
};

Json metadata_of(const ModelConfig& config, const Tokenizer& tokenizer, const std::string& what) {
    Json meta;
    meta["format"] = "lrnn";
    for (const IntField& f : kIntFields) meta[f.name] = std::to_string(config.*f.member);
    meta["ffn_multiplier"] = Json(config.ffn_multiplier).dump();  // shortest form that reads back exactly
    meta["tokenizer"] = tokenizer_to_json(tokenizer, what).dump();
    return meta;
}

class HeaderReader {
public:
    explicit HeaderReader(const std::string& name) : name_(name) {}

    [[noreturn]] void fail(const std::string& what) const { throw UserError(name_ + ": " + what); }

    const std::string& metadata_string(const Json& meta, const char* key) const {
        const auto it = meta.find(key);
        if (it == meta.end())
            fail(std::string("\"") + kMetadataKey + "\" has no \"" + key +
                 "\" (not a file written by lrnn export?)");
        return it->get_ref<const std::string&>();  // every value was checked to be a string
    }

    ModelConfig config(const Json& meta) const {
        ModelConfig c;
        for (const IntField& f : kIntFields) {
            const std::string& text = metadata_string(meta, f.name);
            int value = 0;
            const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (err != std::errc() || end != text.data() + text.size())
                fail(std::string("metadata \"") + f.name + "\" is \"" + text.substr(0, 40) +
                     "\", expected an integer");
            c.*f.member = value;
        }
        const std::string& ffn = metadata_string(meta, "ffn_multiplier");
        const auto [end, err] = std::from_chars(ffn.data(), ffn.data() + ffn.size(), c.ffn_multiplier);
        if (err != std::errc() || end != ffn.data() + ffn.size())
            fail("metadata \"ffn_multiplier\" is \"" + ffn.substr(0, 40) + "\", expected a number");
        try {
            c.validate();
        } catch (const UserError& e) {
            fail(std::string("metadata: ") + e.what());
        }
        return c;
    }

    // The byte range [begin, end) of tensor `t` in the data, after checking its entry.
    std::pair<std::uint64_t, std::uint64_t> tensor_range(const Json& entry, const TensorSpec& t,
                                                         std::size_t data_size) const {
        const std::string where = "tensor \"" + t.name + "\"";
        if (!entry.is_object()) fail(where + " is not a JSON object");
        const auto dtype = entry.find("dtype");
        if (dtype == entry.end() || !dtype->is_string())
            fail(where + " has no \"dtype\"");
        if (*dtype != "F32") fail(where + " has dtype " + dtype->dump() + "; lrnn reads F32 only");
        const auto shape = entry.find("shape");
        if (shape == entry.end() || !shape->is_array()) fail(where + " has no \"shape\" array");
        std::vector<std::size_t> got;
        for (const Json& dim : *shape) {
            if (!dim.is_number_unsigned()) fail(where + ": shape entry " + dim.dump() + " is not a size");
            got.push_back(dim.get<std::size_t>());
        }
        const std::vector<std::size_t> expected = tensor_shape(t);
        // A vector may also come as a column (rows, 1), the way the seed model file stores it.
        const bool column = t.is_vector() && got == std::vector<std::size_t>{t.rows, 1};
        if (got != expected && !column)
            fail(where + " has shape " + shape_text(got) + ", the model config gives " +
                 shape_text(expected));
        const auto offsets = entry.find("data_offsets");
        if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 ||
            !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
            fail(where + " needs \"data_offsets\": [begin, end]");
        const auto begin = (*offsets)[0].get<std::uint64_t>(), end = (*offsets)[1].get<std::uint64_t>();
        if (begin > end || end > data_size)
            fail(where + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                 "] outside the " + std::to_string(data_size) + " bytes of data");
        if (end - begin != t.size() * sizeof(float))
            fail(where + " has " + std::to_string(end - begin) + " bytes of data, its shape needs " +
                 std::to_string(t.size() * sizeof(float)));
        return {begin, end};
    }

private:
    const std::string& name_;
};

}  // namespace

std::string encode_safetensors(const Parameters<float>& params, const Tokenizer& tokenizer,
                               const std::string& what) {
    Json header;
    header[kMetadataKey] = metadata_of(params.config(), tokenizer, what);
    // ParameterLayout packs the tensors one after another in table order, so the data section
    // is the flat parameter buffer itself and each tensor's offsets are its layout offsets.
    for (const TensorSpec& t : params.layout.tensors()) {
        const std::uint64_t begin = t.offset * sizeof(float), end = begin + t.size() * sizeof(float);
        header[t.name] = Json{{"dtype", "F32"}, {"shape", tensor_shape(t)}, {"data_offsets", {begin, end}}};
    }
    std::string text = header.dump();  // well-formed UTF-8 throughout: see tokenizer_json.hpp
    // Padded with spaces so the data starts 8-byte aligned, as the format recommends.
    text.append((8 - text.size() % 8) % 8, ' ');
    ByteWriter out;
    out.reserve(8 + text.size() + params.values.size() * sizeof(float));
    out.put<std::uint64_t>(text.size());
    out.put_bytes(text);
    out.put_floats(params.values);
    return std::move(out).take();
}

void write_safetensors(const std::string& path, const Parameters<float>& params,
                       const Tokenizer& tokenizer) {
    write_file_atomically(path, encode_safetensors(params, tokenizer, path));
}

SafetensorsModel read_safetensors(const std::string& path) {
    return parse_safetensors(read_file_bytes(path), path);
}

SafetensorsModel parse_safetensors(std::span<const char> bytes, const std::string& name) {
    ByteReader in(bytes, name);
    const auto header_size = in.read<std::uint64_t>("the header length");
    if (header_size > in.remaining())
        in.fail("the header length " + std::to_string(header_size) + " exceeds the " +
                std::to_string(in.remaining()) + " bytes after it");
    if (header_size > kMaxHeaderBytes)
        in.fail("the header length " + std::to_string(header_size) + " exceeds the limit of " +
                std::to_string(kMaxHeaderBytes) + " bytes");
    const HeaderReader reader(name);
    const Json header = parse_json(std::string_view(bytes.data() + 8, header_size), name + ": header");
    if (!header.is_object()) reader.fail("the header is not a JSON object");
    const std::size_t data_size = bytes.size() - 8 - header_size;
    const char* data = bytes.data() + 8 + header_size;

    const auto meta = header.find(kMetadataKey);
    if (meta == header.end() || !meta->is_object())
        reader.fail(std::string("the header has no \"") + kMetadataKey +
                    "\" object with the model config (not a file written by lrnn export?)");
    for (const auto& [key, value] : meta->items())
        if (!value.is_string()) reader.fail("metadata \"" + key + "\" is not a string");
    const ModelConfig config = reader.config(*meta);
    Tokenizer tokenizer = tokenizer_from_json(
        parse_json(reader.metadata_string(*meta, "tokenizer"), name + ": metadata \"tokenizer\""),
        name + ": metadata \"tokenizer\"");
    if (tokenizer.vocab_size() != config.vocab_size)
        reader.fail("the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                    " tokens but vocab_size is " + std::to_string(config.vocab_size));

    // validate() bounds every size, so the layout itself is small; the tensors' data is
    // checked against the file before anything of that size is allocated.
    const ParameterLayout layout(config);
    std::unordered_set<std::string> expected;
    for (const TensorSpec& t : layout.tensors()) expected.insert(t.name);
    for (const auto& [key, value] : header.items())
        if (key != kMetadataKey && !expected.count(key))
            reader.fail("tensor \"" + key + "\" is not in the parameter table of this model config");
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    ranges.reserve(layout.tensors().size());
    for (const TensorSpec& t : layout.tensors()) {
        const auto entry = header.find(t.name);
        if (entry == header.end()) reader.fail("tensor \"" + t.name + "\" is missing");
        ranges.push_back(reader.tensor_range(*entry, t, data_size));
    }
    std::vector<std::pair<std::uint64_t, std::uint64_t>> sorted = ranges;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size(); ++i)
        if (sorted[i].first < sorted[i - 1].second)
            reader.fail("two tensors' data_offsets overlap (at byte " + std::to_string(sorted[i].first) + ")");

    Parameters<float> params(config);
    for (std::size_t i = 0; i < layout.tensors().size(); ++i) {
        const TensorSpec& t = layout.tensors()[i];
        std::memcpy(params.values.data() + t.offset, data + ranges[i].first, t.size() * sizeof(float));
    }
    return SafetensorsModel{std::move(params), std::move(tokenizer)};
}

bool is_safetensors_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char head[9];
    if (!in.read(head, sizeof head)) return false;
    std::uint64_t header_size = 0;
    std::memcpy(&header_size, head, 8);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return !ec && head[8] == '{' && header_size <= size - 8;
}

}  // namespace lrnn
