// Invariant 6 for the original program's model file (model-spec.md section 10): a malformed
// file is refused with a UserError naming the file and the field or tensor, never a crash,
// never a blind allocation; well-formed C01, C02 char and C02 word files load.
//
// The expected layout is written out here from the spec (SeedFile below), independently of
// io/seed_model.cpp, so that a test failure points at a disagreement with the spec.

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/byte_reader.hpp"
#include "io/seed_model.hpp"
#include "model/model.hpp"
#include "temp_dir.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

const std::string kGoldenModel = std::string(LRNN_TEST_DATA_DIR) + "/char-small/model.bin";

using test::TempDir;

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    ASSERT_TRUE(out.good()) << path;
}

template <typename T>
void put(std::vector<char>& bytes, T value) {
    const auto* p = reinterpret_cast<const char*>(&value);
    bytes.insert(bytes.end(), p, p + sizeof(T));
}

template <typename T>
void patch(std::vector<char>& bytes, std::size_t at, T value) {
    ASSERT_LE(at + sizeof(T), bytes.size());
    std::memcpy(bytes.data() + at, &value, sizeof(T));
}

template <typename T>
T peek(const std::vector<char>& bytes, std::size_t at) {
    T value;
    std::memcpy(&value, bytes.data() + at, sizeof(T));
    return value;
}

// The message of the UserError that reading `path` raises; a test failure if it loads.
// Any other exception (bad_alloc, length_error, ...) escapes and fails the test too.
std::string load_error(const std::string& path) {
    try {
        read_seed_model(path);
    } catch (const UserError& e) {
        return e.what();
    }
    ADD_FAILURE() << path << " was accepted";
    return "";
}

// A named byte range of a seed file.
struct Field {
    std::size_t begin, end;
    std::string name;  // as the reader names it in "while reading NAME ("
};

// The spec's file layout, written out: the fields of the header and of every tensor, in order.
struct SeedFile {
    static std::vector<Field> fields(const ModelConfig& config, bool c02, int char_vocab) {
        std::vector<Field> out;
        std::size_t at = 0;
        auto add = [&](std::size_t n, const std::string& name) {
            out.push_back({at, at + n, name});
            at += n;
        };
        add(8, "magic");
        for (const char* f : {"vocab_size", "n_layer", "n_embd", "n_head", "ctx_len",
                              "decay_lora_rank", "ffn_multiplier", "n_mem_slots"})
            add(4, std::string("config ") + f);
        if (c02) add(4, "tokenizer type");
        add(4, "char vocabulary size");
        add(std::size_t(char_vocab), "char vocabulary");
        add(256 * 4, "char vocabulary byte->id table");
        const ParameterLayout layout(config);
        for (const TensorSpec& t : layout.tensors()) {
            if (t.name == "layers.0.ln1_weight") add(4, "n_layer before the layers");
            add(4, "rows of tensor " + t.name);
            add(4, "cols of tensor " + t.name);
            add(t.size() * 4, "data of tensor " + t.name);
        }
        return out;
    }

    static std::size_t offset_of(const std::vector<Field>& fields, const std::string& name) {
        for (const Field& f : fields)
            if (f.name == name) return f.begin;
        ADD_FAILURE() << "no field " << name;
        return 0;
    }

    // A complete file: config, vocabulary (char if words is empty), tensors from `values`.
    static std::vector<char> build(const ModelConfig& c, const std::vector<std::uint8_t>& chars,
                                   const std::vector<std::string>& words,
                                   const std::vector<float>& values, bool c01 = false) {
        std::vector<char> b;
        const char* magic = c01 ? "lrnnC01" : "lrnnC02";
        b.insert(b.end(), magic, magic + 8);  // includes the '\0'
        put<std::int32_t>(b, c.vocab_size);
        put<std::int32_t>(b, c.n_layer);
        put<std::int32_t>(b, c.n_embd);
        put<std::int32_t>(b, c.n_head);
        put<std::int32_t>(b, c.ctx_len);
        put<std::int32_t>(b, c.decay_lora_rank);
        put<float>(b, float(c.ffn_multiplier));
        put<std::int32_t>(b, c.n_mem_slots);
        if (!c01) put<std::int32_t>(b, words.empty() ? 0 : 1);
        if (words.empty()) {
            put<std::int32_t>(b, std::int32_t(chars.size()));
            b.insert(b.end(), chars.begin(), chars.end());
            std::int32_t table[256] = {};  // the seed maps bytes it never saw to 0
            for (std::size_t id = 0; id < chars.size(); ++id) table[chars[id]] = std::int32_t(id);
            for (std::int32_t id : table) put(b, id);
        } else {
            put<std::int32_t>(b, std::int32_t(words.size()));
            for (std::int32_t special : {0, 1, 2, 3}) put(b, special);
            for (const std::string& w : words) {
                put<std::int32_t>(b, std::int32_t(w.size()));
                b.insert(b.end(), w.begin(), w.end());
            }
        }
        const ParameterLayout layout(c);
        for (const TensorSpec& t : layout.tensors()) {
            if (t.name == "layers.0.ln1_weight") put<std::int32_t>(b, c.n_layer);
            put<std::int32_t>(b, std::int32_t(t.rows));  // vectors are stored as (n, 1)
            put<std::int32_t>(b, std::int32_t(t.cols));
            const auto* p = reinterpret_cast<const char*>(values.data() + t.offset);
            b.insert(b.end(), p, p + t.size() * sizeof(float));
        }
        return b;
    }
};

class SeedModel : public testing::Test {
protected:
    void SetUp() override {
        golden_ = read_file_bytes(kGoldenModel);
        model_ = std::make_unique<ImportedModel>(read_seed_model(kGoldenModel));
        fields_ = SeedFile::fields(config(), true, model_->tokenizer.vocab_size());
    }

    const ModelConfig& config() const { return model_->params.config(); }

    // Writes bytes as a file of this test and returns the reader's error message for it.
    std::string error_for(const std::vector<char>& bytes, const std::string& name = "model.bin") {
        const std::string path = dir_.file(name);
        write_bytes(path, bytes);
        return load_error(path);
    }

    std::size_t at(const std::string& field) const { return SeedFile::offset_of(fields_, field); }

    TempDir dir_;
    std::vector<char> golden_;
    std::unique_ptr<ImportedModel> model_;
    std::vector<Field> fields_;
};

// The message names the file it is about, and contains every one of parts.
void expect_error(const std::string& message, const std::string& path,
                  std::initializer_list<std::string> parts = {}) {
    EXPECT_NE(message.find(path), std::string::npos) << "no file name in: " << message;
    for (const std::string& part : parts)
        EXPECT_NE(message.find(part), std::string::npos) << "expected '" << part << "' in: " << message;
}
// Failures report the caller's line.
#define EXPECT_ERROR(...)          \
    do {                           \
        SCOPED_TRACE("checked here"); \
        expect_error(__VA_ARGS__); \
    } while (0)

TEST_F(SeedModel, GoldenFileLayoutIsTheSpecs) {
    // The field map these tests use covers the golden file exactly, and a file written from
    // the imported model by the spec's layout is the golden file byte for byte.
    ASSERT_EQ(fields_.back().end, golden_.size());
    EXPECT_EQ(config().vocab_size, 61);
    EXPECT_EQ(model_->tokenizer.kind(), TokenizerKind::Char);
    const auto rebuilt =
        SeedFile::build(config(), model_->tokenizer.chars(), {}, model_->params.values);
    EXPECT_TRUE(rebuilt == golden_);
}

TEST_F(SeedModel, TruncatedAnywhereIsRefusedNamingTheField) {
    // Every length through the header and the first tensor's shape, then the boundaries and
    // middles of every later field, and a spread of lengths in between; 0 bytes too.
    std::vector<std::size_t> lengths;
    const std::size_t header_end = at("data of tensor emb");
    for (std::size_t n = 0; n <= header_end + 16; ++n) lengths.push_back(n);
    for (const Field& f : fields_) {
        if (f.begin <= header_end + 16) continue;
        for (std::size_t n : {f.begin, f.begin + 1, f.begin + (f.end - f.begin) / 2, f.end - 1})
            lengths.push_back(n);
    }
    for (std::size_t n = header_end; n < golden_.size(); n += golden_.size() / 97) lengths.push_back(n);
    std::sort(lengths.begin(), lengths.end());
    lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
    ASSERT_GT(lengths.size(), 1000u);

    // One file, shortened step by step from the longest length down.
    const std::string path = dir_.file("truncated.bin");
    write_bytes(path, golden_);
    std::size_t checked = 0;
    for (auto it = lengths.rbegin(); it != lengths.rend(); ++it) {
        const std::size_t n = *it;
        ASSERT_LT(n, golden_.size());
        fs::resize_file(path, n);
        // The field the reader is in when the bytes run out is the one holding byte n.
        const auto field = std::find_if(fields_.begin(), fields_.end(),
                                        [&](const Field& f) { return f.begin <= n && n < f.end; });
        ASSERT_NE(field, fields_.end());
        const std::string message = load_error(path);
        EXPECT_ERROR(message, path, {"ends early", "while reading " + field->name + " ("});
        if (testing::Test::HasFailure()) {
            ADD_FAILURE() << "first failure at length " << n;
            return;
        }
        ++checked;
    }
    EXPECT_EQ(checked, lengths.size());
}

TEST_F(SeedModel, WrongMagicIsRefused) {
    for (const char* magic : {"lrnnC03", "LRNNC02", "lrnnC02 ", "\x93NUMPY\x01"}) {
        auto bytes = golden_;
        std::memcpy(bytes.data(), magic, 8);
        EXPECT_ERROR(error_for(bytes), dir_.file("model.bin"), {"magic", "not an lrnn seed model"});
    }
    // A text file that happens to be long enough.
    std::vector<char> text(2000, 'x');
    EXPECT_ERROR(error_for(text, "text.bin"), dir_.file("text.bin"), {"magic"});
}

TEST_F(SeedModel, ConfigThatDisagreesWithTheTensorsIsRefusedNamingTheTensor) {
    const std::string path = dir_.file("model.bin");
    struct Case {
        std::string field;
        std::int32_t value;
        std::vector<const char*> expected;
    };
    const std::vector<Case> cases = {
        {"config n_embd", 32, {"tensor emb is stored as (61, 64), expected (61, 32)"}},
        {"config n_head", 4, {}},  // shapes do not depend on n_head: loads (checked below)
        {"config decay_lora_rank", 3, {"layers.0.decay_lora_a", "(64, 2)", "(64, 3)"}},
        {"config n_mem_slots", 3, {"layers.0.mem_gate_write", "(64, 4)", "(64, 3)"}},
        {"config n_layer", 3, {"n_layer before the layers is 2, config says 3"}},
        {"config n_layer", 1, {"n_layer before the layers is 2, config says 1"}},
        {"config vocab_size", 60, {"vocabulary has 61 entries", "vocab_size is 60"}},
        {"n_layer before the layers", 1, {"n_layer before the layers is 1, config says 2"}},
        {"rows of tensor layers.1.Wk", 63, {"tensor layers.1.Wk is stored as (63, 64)"}},
        {"cols of tensor layers.1.Wk", 65, {"tensor layers.1.Wk is stored as (64, 65)"}},
        {"cols of tensor layers.0.ln2_bias", 64, {"tensor layers.0.ln2_bias is stored as (64, 64)"}},
        {"rows of tensor head", 61, {"tensor head is stored as (61, 61), expected (64, 61)"}},
        {"cols of tensor head", 60, {"tensor head is stored as (64, 60)"}},
        {"rows of tensor emb", 64, {"tensor emb is stored as (64, 64), expected (61, 64)"}},
    };
    for (const Case& c : cases) {
        auto bytes = golden_;
        patch(bytes, at(c.field), c.value);
        write_bytes(path, bytes);
        if (c.expected.empty()) {
            EXPECT_EQ(read_seed_model(path).params.config().n_head, c.value);
            continue;
        }
        const std::string message = load_error(path);
        for (const char* part : c.expected)
            EXPECT_NE(message.find(part), std::string::npos)
                << c.field << " = " << c.value << ": expected '" << part << "' in: " << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
    }
    // ffn_multiplier 1.5: ffn_hidden 96 instead of 128.
    auto bytes = golden_;
    patch(bytes, at("config ffn_multiplier"), 1.5f);
    EXPECT_ERROR(error_for(bytes), path, {"layers.0.ffn_gate", "(64, 128)", "(64, 96)"});
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

TEST_F(SeedModel, AbsurdSizesAreRefusedBeforeAllocating) {
    const std::string path = dir_.file("model.bin");
    const long rss_before = peak_rss_kib();
    const auto start = std::chrono::steady_clock::now();
    const std::int32_t int_max = std::numeric_limits<std::int32_t>::max();
    struct Case {
        std::string field;
        std::int32_t value;
        std::vector<const char*> expected;
    };
    const std::vector<Case> cases = {
        {"config n_embd", 1 << 30, {"n_embd (1073741824)"}},
        {"config n_embd", 16384, {"tensor emb is stored as (61, 64), expected (61, 16384)"}},
        {"config n_embd", -64, {"n_embd must be >= 1 (got -64)"}},
        {"config vocab_size", int_max, {"vocab"}},
        {"config vocab_size", -1, {"vocab_size must be >= 1 (got -1)"}},
        {"config n_layer", 1 << 30, {"n_layer"}},
        {"config n_layer", 1000, {"n_layer before the layers is 2, config says 1000"}},
        {"config n_layer", -3, {"n_layer must be >= 1 (got -3)"}},
        {"config n_head", 0, {"n_head must be >= 1"}},
        {"config n_head", 3, {"divisible by n_head"}},
        {"config ctx_len", int_max, {"ctx_len"}},
        {"config decay_lora_rank", int_max, {"decay_lora_rank"}},
        {"config n_mem_slots", int_max, {"n_mem_slots"}},
        {"config n_mem_slots", -2, {"n_mem_slots must be >= 1 (got -2)"}},
        {"tokenizer type", 2, {"tokenizer type is 2, expected 0..1"}},
        {"tokenizer type", -1, {"tokenizer type is -1"}},
        {"char vocabulary size", -5, {"char vocabulary size is -5"}},
        {"char vocabulary size", int_max, {"char vocabulary size is 2147483647"}},
        {"char vocabulary size", 0, {"char vocabulary size is 0"}},
        {"n_layer before the layers", int_max, {"n_layer before the layers is 2147483647"}},
        {"rows of tensor emb", int_max, {"tensor emb is stored as (2147483647, 64)"}},
        {"rows of tensor emb", -61, {"tensor emb is stored as (-61, 64)"}},
        {"cols of tensor layers.0.Wo", int_max, {"tensor layers.0.Wo is stored as (64, 2147483647)"}},
        {"cols of tensor layers.1.ffn_down", -1, {"tensor layers.1.ffn_down is stored as (128, -1)"}},
    };
    for (const Case& c : cases) {
        auto bytes = golden_;
        patch(bytes, at(c.field), c.value);
        write_bytes(path, bytes);
        const std::string message = load_error(path);
        for (const char* part : c.expected)
            EXPECT_NE(message.find(part), std::string::npos)
                << c.field << " = " << c.value << ": expected '" << part << "' in: " << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
    }
    for (float ffn : {std::numeric_limits<float>::quiet_NaN(), -2.0f, 0.0f, 1e30f,
                      std::numeric_limits<float>::infinity()}) {
        auto bytes = golden_;
        patch(bytes, at("config ffn_multiplier"), ffn);
        EXPECT_ERROR(error_for(bytes), path, {"ffn_multiplier"});
    }
    {
        // n_embd 2^24 with ffn_multiplier 1000: the hidden width overflows an int.
        auto bytes = golden_;
        patch(bytes, at("config n_embd"), std::int32_t(1) << 24);
        patch(bytes, at("config ffn_multiplier"), 1000.0f);
        EXPECT_ERROR(error_for(bytes), path, {"n_embd (16777216)"});
    }
    {
        // The largest model the config allows, with a tensor header that agrees with it: the
        // first tensor's data is not in the file, so it is refused without reserving terabytes.
        auto bytes = golden_;
        patch(bytes, at("config n_embd"), std::int32_t(16384));
        patch(bytes, at("config n_layer"), std::int32_t(1024));
        patch(bytes, at("cols of tensor emb"), std::int32_t(16384));
        EXPECT_ERROR(error_for(bytes), path, {"ends early", "data of tensor emb"});
    }
    // Nothing above may have touched anywhere near the memory its sizes ask for, nor taken long.
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(peak_rss_kib() - rss_before, 64 * 1024) << "KiB of peak memory grew";
    EXPECT_LT(seconds, 20.0);
}

TEST_F(SeedModel, CharVocabularyMustBeConsistent) {
    const std::string path = dir_.file("model.bin");
    const std::size_t chars = at("char vocabulary"), table = at("char vocabulary byte->id table");
    {
        auto bytes = golden_;
        bytes[chars + 1] = '\n';  // id 1 (space) becomes a second newline
        EXPECT_ERROR(error_for(bytes), path, {"char vocabulary", "byte 10", "twice"});
    }
    {
        auto bytes = golden_;
        ASSERT_EQ(peek<std::int32_t>(bytes, table + 4 * 'a'), 35);
        patch(bytes, table + 4 * 'a', std::int32_t(36));
        EXPECT_ERROR(error_for(bytes), path, {"byte->id table", "byte 97"});
    }
    {
        // Bytes the seed never saw map to 0 in its table; they are not checked.
        auto bytes = golden_;
        patch(bytes, table + 4 * 'X', std::int32_t(12345));
        write_bytes(path, bytes);
        EXPECT_EQ(read_seed_model(path).params.values, model_->params.values);
    }
    {
        // A size that disagrees with the config.
        auto bytes = golden_;
        patch(bytes, at("char vocabulary size"), std::int32_t(60));
        EXPECT_ERROR(error_for(bytes), path);  // what it says depends on where it derails
    }
}

TEST_F(SeedModel, TrailingBytesAreRefused) {
    for (std::size_t extra : {1u, 4u, 1000u}) {
        auto bytes = golden_;
        bytes.insert(bytes.end(), extra, '\0');
        EXPECT_ERROR(error_for(bytes), dir_.file("model.bin"),
                     {std::to_string(extra) + " unexpected bytes after the last tensor"});
    }
}

// The format has no checksum: a NaN or infinity in a weight is refused by name, not used.
TEST_F(SeedModel, NonFiniteWeightsAreRefusedNamingTheTensor) {
    for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        auto bytes = golden_;
        patch(bytes, at("data of tensor head") + 4 * 7, bad);
        EXPECT_ERROR(error_for(bytes), dir_.file("model.bin"), {"tensor head holds a non-finite value", "at index 7"});
    }
}

TEST_F(SeedModel, MissingFileAndDirectoryAreRefused) {
    EXPECT_ERROR(load_error(dir_.file("absent.bin")), dir_.file("absent.bin"), {"cannot open"});
    const std::string sub = dir_.file("a-directory");
    fs::create_directories(sub);
    EXPECT_ERROR(load_error(sub), sub, {"directory"});
    EXPECT_FALSE(is_seed_model_file(sub));
    EXPECT_TRUE(is_seed_model_file(kGoldenModel));
}

TEST_F(SeedModel, C01FileLoadsAsTheSameCharModel) {
    // C01 = C02 without the tokenizer-type field, and magic lrnnC01.
    auto bytes = golden_;
    const std::size_t type_at = at("tokenizer type");
    ASSERT_EQ(peek<std::int32_t>(bytes, type_at), 0);
    bytes.erase(bytes.begin() + std::ptrdiff_t(type_at), bytes.begin() + std::ptrdiff_t(type_at + 4));
    std::memcpy(bytes.data(), "lrnnC01", 8);
    // ... which is what the spec's layout gives for C01.
    EXPECT_TRUE(bytes ==
                SeedFile::build(config(), model_->tokenizer.chars(), {}, model_->params.values, true));
    const std::string path = dir_.file("c01.bin");
    write_bytes(path, bytes);
    EXPECT_TRUE(is_seed_model_file(path));
    const ImportedModel c01 = read_seed_model(path);
    EXPECT_EQ(c01.params.config(), config());
    EXPECT_EQ(c01.params.values, model_->params.values);
    EXPECT_TRUE(c01.tokenizer == model_->tokenizer);
    EXPECT_EQ(c01.tokenizer.kind(), TokenizerKind::Char);

    // Truncated inside its vocabulary, a C01 file names the C01 field layout.
    const auto c01_fields = SeedFile::fields(config(), false, 61);
    const std::size_t cut = SeedFile::offset_of(c01_fields, "char vocabulary") + 10;
    bytes.resize(cut);
    EXPECT_ERROR(error_for(bytes, "c01-short.bin"), dir_.file("c01-short.bin"),
                 {"while reading char vocabulary ("});
}

struct WordModel {
    std::vector<std::string> words = {"<unk>", "<pad>", " ", "\n", ".", ",", "!", "?",
                                      ":", ";", "\"", "'", "(", ")", "-", "\t",
                                      "to", "be", "or", "not", "that", "is", "question",
                                      "", "\xc3\xa9t\xc3\xa9"};  // an empty word and UTF-8 bytes
    ModelConfig config;
    std::vector<float> values;

    WordModel() {
        config.vocab_size = int(words.size());
        config.n_layer = 2;
        config.n_embd = 16;
        config.n_head = 2;
        config.ctx_len = 8;
        config.decay_lora_rank = 3;
        config.ffn_multiplier = 1.5;
        config.n_mem_slots = 2;
        Parameters<float> p(config);
        initialize_parameters<float>(p.layout, 42, p.values);
        values = p.values;
    }
};

TEST_F(SeedModel, WordVocabularyFileLoadsAndRoundTripsItsWords) {
    const WordModel w;
    const auto bytes = SeedFile::build(w.config, {}, w.words, w.values);
    const std::string path = dir_.file("word.bin");
    write_bytes(path, bytes);
    const ImportedModel m = read_seed_model(path);
    EXPECT_EQ(m.params.config(), w.config);
    EXPECT_EQ(m.params.values, w.values);
    EXPECT_EQ(m.tokenizer.kind(), TokenizerKind::Word);
    EXPECT_EQ(m.tokenizer.words(), w.words);
    for (std::size_t id = 0; id < w.words.size(); ++id)
        EXPECT_EQ(m.tokenizer.decode_one(TokenId(id)), w.words[id]) << id;
    const std::vector<TokenId> ids = m.tokenizer.encode("to be, or not to be: that is the question.\n");
    const std::vector<TokenId> expected = {16, 2, 17, 5, 2, 18, 2, 19, 2, 16, 2, 17, 8, 2, 20, 2,
                                           21, 2, Tokenizer::kUnk, 2, 22, 4, 3};
    EXPECT_EQ(ids, expected);
    EXPECT_EQ(m.tokenizer.decode(ids), "to be, or not to be: that is <unk> question.\n");
}

TEST_F(SeedModel, MalformedWordVocabularyIsRefused) {
    const WordModel w;
    const auto good = SeedFile::build(w.config, {}, w.words, w.values);
    const std::size_t size_at = 44, specials_at = 48, first_word_at = 64;
    ASSERT_EQ(peek<std::int32_t>(good, size_at), std::int32_t(w.words.size()));
    ASSERT_EQ(peek<std::int32_t>(good, first_word_at), 5);  // "<unk>"
    const std::string path = dir_.file("word.bin");
    {
        auto bytes = good;
        patch(bytes, specials_at + 8, std::int32_t(7));  // space id
        EXPECT_ERROR(error_for(bytes, "word.bin"), path, {"special ids are 0,1,7,3"});
    }
    for (std::int32_t size : {-1, 3}) {
        auto bytes = good;
        patch(bytes, size_at, size);
        EXPECT_ERROR(error_for(bytes, "word.bin"), path,
                     {"word vocabulary size is " + std::to_string(size) + ", expected 4.."});
    }
    {
        // Far more words than the file could hold: refused before reserving room for them.
        auto bytes = good;
        patch(bytes, size_at, std::numeric_limits<std::int32_t>::max());
        EXPECT_ERROR(error_for(bytes, "word.bin"), path,
                     {"ends early", "word vocabulary of 2147483647 words"});
    }
    {
        auto bytes = good;
        patch(bytes, first_word_at, std::int32_t(1) << 20);
        EXPECT_ERROR(error_for(bytes, "word.bin"), path, {"word 0 length is 1048576"});
    }
    {
        auto bytes = good;
        patch(bytes, first_word_at, std::int32_t(-5));
        EXPECT_ERROR(error_for(bytes, "word.bin"), path, {"word 0 length is -5"});
    }
    {
        // One word fewer than the config's vocab_size: the last word's bytes are read as the
        // first tensor's shape, or the count disagrees; either way it must be refused.
        auto bytes = good;
        patch(bytes, size_at, std::int32_t(w.words.size() - 1));
        EXPECT_ERROR(error_for(bytes, "word.bin"), path);
    }
    {
        // Cut before the word list could be complete.
        auto bytes = good;
        bytes.resize(first_word_at + 4 + 2);
        EXPECT_ERROR(error_for(bytes, "word.bin"), path,
                     {"ends early", "word vocabulary of 25 words"});
    }
    {
        // Cut inside the last word's bytes.
        std::size_t end = first_word_at;
        for (const std::string& word : w.words) end += 4 + word.size();
        ASSERT_EQ(peek<std::int32_t>(good, end), std::int32_t(w.config.vocab_size));  // emb rows
        auto bytes = good;
        bytes.resize(end - 2);
        EXPECT_ERROR(error_for(bytes, "word.bin"), path, {"ends early", "while reading word 24 ("});
    }
}

}  // namespace
}  // namespace lrnn
