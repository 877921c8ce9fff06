#include "io/seed_model.hpp"

#include <cstring>
#include <fstream>

#include "io/byte_reader.hpp"

namespace lrnn {

namespace {
constexpr char kMagicC01[8] = {'l', 'r', 'n', 'n', 'C', '0', '1', '\0'};
constexpr char kMagicC02[8] = {'l', 'r', 'n', 'n', 'C', '0', '2', '\0'};

Tokenizer read_char_vocab(ByteReader& in) {
    const int size = in.read_count("char vocabulary size", 1, 256);
    std::vector<std::uint8_t> chars(size);
    in.read_bytes(chars.data(), chars.size(), "char vocabulary");
    // 256 ints byte -> id: must agree with the list just read.
    for (int b = 0; b < 256; ++b) {
        const auto id = in.read<std::int32_t>("char vocabulary byte->id table");
        (void)id;  // the seed maps unseen bytes to 0; the list of characters is authoritative
    }
    try {
        return Tokenizer::from_chars(std::move(chars));
    } catch (const UserError& e) {
        in.fail(e.what());
    }
}

Tokenizer read_word_vocab(ByteReader& in) {
    // every word costs at least its 4-byte length, so size is bounded by the bytes left
    const int size = in.read_count("word vocabulary size", 4, std::int64_t(in.remaining() / 4));
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

ImportedModel read_seed_model(const std::string& path) {
    const std::vector<char> bytes = read_file_bytes(path);
    ByteReader in(bytes, path);
    char magic[8];
    in.read_bytes(magic, 8, "magic");
    const bool c01 = std::memcmp(magic, kMagicC01, 8) == 0;
    const bool c02 = std::memcmp(magic, kMagicC02, 8) == 0;
    if (!c01 && !c02) in.fail("not an lrnn seed model file (magic is not lrnnC01 or lrnnC02)");

    ModelConfig config;
    config.vocab_size = in.read<std::int32_t>("config vocab_size");
    config.n_layer = in.read<std::int32_t>("config n_layer");
    config.n_embd = in.read<std::int32_t>("config n_embd");
    config.n_head = in.read<std::int32_t>("config n_head");
    config.ctx_len = in.read<std::int32_t>("config ctx_len");
    config.decay_lora_rank = in.read<std::int32_t>("config decay_lora_rank");
    config.ffn_multiplier = in.read<float>("config ffn_multiplier");
    config.n_mem_slots = in.read<std::int32_t>("config n_mem_slots");
    if (!(config.ffn_multiplier > 0 && config.ffn_multiplier < 1e4))
        in.fail("config ffn_multiplier is not a positive number");
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
    // Check the sizes the config implies against what the file holds before allocating.
    {
        const ParameterLayout layout(config);
        const std::size_t header_bytes = 4 + 8 * layout.tensors().size();
        const double needed = double(layout.total_size()) * sizeof(float) + double(header_bytes);
        if (needed > double(in.remaining()))
            in.fail("the config needs " + std::to_string(layout.total_size()) +
                    " parameters, more than the " + std::to_string(in.remaining()) +
                    " bytes left in the file hold");
    }
    ImportedModel model{Parameters<float>(config), std::move(tokenizer)};
    for (const TensorSpec& t : model.params.layout.tensors()) {
        if (t.name == "layers.0.ln1_weight") {
            const int n_layer = in.read<std::int32_t>("n_layer before the layers");
            if (n_layer != config.n_layer)
                in.fail("n_layer before the layers is " + std::to_string(n_layer) +
                        ", config says " + std::to_string(config.n_layer));
        }
        const auto rows = in.read<std::int32_t>("rows of tensor " + t.name);
        const auto cols = in.read<std::int32_t>("cols of tensor " + t.name);
        if (rows != std::int32_t(t.rows) || cols != std::int32_t(t.cols))
            in.fail("tensor " + t.name + " is stored as (" + std::to_string(rows) + ", " +
                    std::to_string(cols) + "), expected (" + std::to_string(t.rows) + ", " +
                    std::to_string(t.cols) + ") from the config");
        in.read_bytes(model.params.values.data() + t.offset, t.size() * sizeof(float),
                      "data of tensor " + t.name);
    }
    if (in.remaining() != 0)
        in.fail(std::to_string(in.remaining()) + " unexpected bytes after the last tensor");
    return model;
}

}  // namespace lrnn
