#include "io/seed_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "io/byte_reader.hpp"
#include "io/model_config_codec.hpp"

namespace lrnn {

namespace {
constexpr char kMagicC01[8] = {'l', 'r', 'n', 'n', 'C', '0', '1', '\0'};
constexpr char kMagicC02[8] = {'l', 'r', 'n', 'n', 'C', '0', '2', '\0'};

Tokenizer read_char_vocab(ByteReader& in) {
    const int size = in.read_count("char vocabulary size", 1, 256);
    std::vector<std::uint8_t> chars(size);
    in.read_bytes(chars.data(), chars.size(), "char vocabulary");
    std::int32_t byte_to_id[256];  // the seed's byte -> id table
    in.need(sizeof(byte_to_id), "char vocabulary byte->id table");
    for (auto& id : byte_to_id) id = in.read<std::int32_t>("char vocabulary byte->id table");
    Tokenizer tokenizer;
    try {
        tokenizer = Tokenizer::from_chars(chars);  // refuses a byte listed twice
    } catch (const UserError& e) {
        in.fail(e.what());
    }
    // The list of characters is authoritative (the seed maps bytes it never saw to 0, so only
    // the listed bytes are checked), but a table that disagrees with it means a corrupt file.
    for (int id = 0; id < size; ++id)
        if (byte_to_id[chars[id]] != id)
            in.fail("char vocabulary byte->id table maps byte " + std::to_string(chars[id]) +
                    " to " + std::to_string(byte_to_id[chars[id]]) +
                    ", but the character list has it as id " + std::to_string(id));
    return tokenizer;
}

Tokenizer read_word_vocab(ByteReader& in) {
    const int size = in.read_count("word vocabulary size", 4, std::numeric_limits<std::int32_t>::max());
    // The four special ids and every word's 4-byte length must be in the file before anything
    // is reserved for `size` words.
    in.need(16 + 4 * std::size_t(size), "the word vocabulary of " + std::to_string(size) + " words");
    const std::int32_t specials[4] = {in.read<std::int32_t>("word unk id"), in.read<std::int32_t>("word pad id"),
                                      in.read<std::int32_t>("word space id"),
                                      in.read<std::int32_t>("word newline id")};
    for (int i = 0; i < 4; ++i)
        if (specials[i] != i)
            in.fail("word vocabulary special ids are " + std::to_string(specials[0]) + "," +
                    std::to_string(specials[1]) + "," + std::to_string(specials[2]) + "," +
                    std::to_string(specials[3]) + "; expected 0,1,2,3");
    std::vector<std::string> words;
    words.reserve(size);
    for (int i = 0; i < size; ++i) {
        const std::string field = "word " + std::to_string(i);
        const int length = in.read_count(field + " length", 0, 1 << 16);
        in.need(std::size_t(length), field);  // before allocating the string
        std::string w(std::size_t(length), '\0');
        in.read_bytes(w.data(), w.size(), field);
        words.push_back(std::move(w));
    }
    return Tokenizer::from_words(std::move(words));
}
}  // namespace

bool is_seed_model_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[8] = {};
    if (!in.read(magic, 8)) return false;
    return std::memcmp(magic, kMagicC01, 8) == 0 || std::memcmp(magic, kMagicC02, 8) == 0;
}

ImportedModel read_seed_model(const std::string& path) { return parse_seed_model(read_file_bytes(path), path); }

ImportedModel parse_seed_model(std::span<const char> bytes, const std::string& name) {
    ByteReader in(bytes, name);
    char magic[8];
    in.read_bytes(magic, 8, "magic");
    const bool c01 = std::memcmp(magic, kMagicC01, 8) == 0;
    const bool c02 = std::memcmp(magic, kMagicC02, 8) == 0;
    if (!c01 && !c02) in.fail("not an lrnn seed model file (magic is not lrnnC01 or lrnnC02)");

    ModelConfig config = read_model_config(in, config_layouts::kSeedModel);
    if (!(config.ffn_multiplier > 0 && config.ffn_multiplier < 1e4))
        in.fail("config ffn_multiplier is " + std::to_string(config.ffn_multiplier) +
                ", expected a number in (0, 10000)");
    // ModelConfig::ffn_hidden() converts n_embd * ffn_multiplier to int; out of int range that
    // conversion is undefined, so refuse such a product here, naming the fields.
    if (double(config.n_embd) * config.ffn_multiplier >= 2147483648.0)
        in.fail("config n_embd (" + std::to_string(config.n_embd) + ") * ffn_multiplier (" +
                std::to_string(config.ffn_multiplier) + ") is out of range");
    try {
        config.validate();
    } catch (const UserError& e) {
        in.fail(e.what());
    }
    int tokenizer_type = 0;
    if (c02) tokenizer_type = in.read_count("tokenizer type", 0, 1);

    Tokenizer tokenizer = tokenizer_type == 0 ? read_char_vocab(in) : read_word_vocab(in);
    if (tokenizer.vocab_size() != config.vocab_size)
        in.fail("vocabulary has " + std::to_string(tokenizer.vocab_size()) +
                " entries but config vocab_size is " + std::to_string(config.vocab_size));

    // The parameter table of our layout is the file's tensor order (see parameters.hpp);
    // the file adds an int n_layer between the input tensors and the layers.
    // Tensor by tensor: the stored shape must be the config's, and the data must be in the file
    // before it is copied. The buffer grows only with bytes the file really holds, so a header
    // that lies about sizes cannot make us allocate blindly, and a short or mis-shaped file is
    // refused with a message naming the tensor.
    const ParameterLayout layout(config);
    std::vector<float> values;
    values.reserve(std::min(layout.total_size(), in.remaining() / sizeof(float)));
    for (const TensorSpec& t : layout.tensors()) {
        if (t.name == "layers.0.ln1_weight") {
            const int n_layer = in.read<std::int32_t>("n_layer before the layers");
            if (n_layer != config.n_layer)
                in.fail("n_layer before the layers is " + std::to_string(n_layer) +
                        ", config says " + std::to_string(config.n_layer));
        }
        const auto rows = in.read<std::int32_t>("rows of tensor " + t.name);
        const auto cols = in.read<std::int32_t>("cols of tensor " + t.name);
        if (rows != std::int64_t(t.rows) || cols != std::int64_t(t.cols))
            in.fail("tensor " + t.name + " is stored as (" + std::to_string(rows) + ", " +
                    std::to_string(cols) + "), expected (" + std::to_string(t.rows) + ", " +
                    std::to_string(t.cols) + ") from the config");
        const std::string field = "data of tensor " + t.name;
        in.need(t.size() * sizeof(float), field);
        values.resize(t.offset + t.size());
        in.read_bytes(values.data() + t.offset, t.size() * sizeof(float), field);
        // The format has no checksum; a NaN or infinity would make every output garbage silently.
        const auto first = values.begin() + std::ptrdiff_t(t.offset);
        const auto bad = std::find_if(first, first + std::ptrdiff_t(t.size()), [](float x) { return !std::isfinite(x); });
        if (bad != first + std::ptrdiff_t(t.size()))
            in.fail("tensor " + t.name + " holds a non-finite value (" + std::to_string(*bad) + ") at index " +
                    std::to_string(bad - first));
    }
    if (in.remaining() != 0)
        in.fail(std::to_string(in.remaining()) + " unexpected bytes after the last tensor");
    ImportedModel model{Parameters<float>(config), std::move(tokenizer)};
    model.params.values = std::move(values);
    return model;
}

}  // namespace lrnn
