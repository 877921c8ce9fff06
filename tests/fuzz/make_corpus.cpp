// Writes the valid seed inputs of the binary fuzz targets with the project's own writers
// (checkpoints, state files, .npy) or, for the seed model format that lrnn only reads,
// byte by byte after docs/model-spec.md section 10, plus a cut-short copy of each.
//   build-asan/fuzz/lrnn_fuzz_make_corpus tests/fuzz/corpus
// Rerun it when a format changes; the text targets' seeds are written by hand.

#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <iostream>
#include <string>

#include "config/train_config.hpp"
#include "core/json.hpp"
#include "generate/generator.hpp"
#include "generate/generator_state.hpp"
#include "io/checkpoint.hpp"
#include "io/npy.hpp"
#include "io/seed_model.hpp"
#include "io/state_file.hpp"
#include "io/token_manifest.hpp"
#include "io/token_store.hpp"
#include "model/parameters.hpp"
#include "tiny_model.hpp"

namespace fs = std::filesystem;
using namespace lrnn;

namespace {

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// A valid file and a copy cut at `cut` bytes ("NAME.cut").
void write_with_cut(const fs::path& path, const std::string& bytes, std::size_t cut) {
    write_all(path, bytes);
    write_all(path.string() + ".cut", bytes.substr(0, cut));
}

template <typename T>
void put(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// model-spec.md section 10: magic, config, [C02: tokenizer type], vocabulary, tensors (an int
// n_layer before the first layer's).
std::string seed_model_bytes(bool c02, const Tokenizer& tokenizer) {
    const Parameters<float> params = fuzz::tiny_parameters(tokenizer.vocab_size());
    const ModelConfig& c = params.config();
    std::string b(c02 ? "lrnnC02" : "lrnnC01", 8);
    for (int v : {c.vocab_size, c.n_layer, c.n_embd, c.n_head, c.ctx_len, c.decay_lora_rank}) put<std::int32_t>(b, v);
    put<float>(b, float(c.ffn_multiplier));
    put<std::int32_t>(b, c.n_mem_slots);
    if (c02) put<std::int32_t>(b, tokenizer.kind() == TokenizerKind::Char ? 0 : 1);
    if (tokenizer.kind() == TokenizerKind::Char) {
        put<std::int32_t>(b, std::int32_t(tokenizer.chars().size()));
        b.append(reinterpret_cast<const char*>(tokenizer.chars().data()), tokenizer.chars().size());
        std::int32_t byte_to_id[256] = {};
        for (std::size_t id = 0; id < tokenizer.chars().size(); ++id) byte_to_id[tokenizer.chars()[id]] = std::int32_t(id);
        for (const std::int32_t id : byte_to_id) put(b, id);
    } else {
        put<std::int32_t>(b, std::int32_t(tokenizer.words().size()));
        for (std::int32_t special = 0; special < 4; ++special) put(b, special);
        for (const std::string& w : tokenizer.words()) {
            put<std::int32_t>(b, std::int32_t(w.size()));
            b += w;
        }
    }
    for (const TensorSpec& t : params.layout.tensors()) {
        if (t.name == "layers.0.ln1_weight") put<std::int32_t>(b, c.n_layer);
        put<std::int32_t>(b, std::int32_t(t.rows));
        put<std::int32_t>(b, std::int32_t(t.cols));
        b.append(reinterpret_cast<const char*>(params.values.data() + t.offset), t.size() * sizeof(float));
    }
    return b;
}

Checkpoint tiny_checkpoint(const Tokenizer& tokenizer, std::int64_t step) {
    Checkpoint c;
    c.config_yaml = to_yaml(parse_train_config_text("run: {name: tiny}\ndata: {path: /data/corpus.txt}\nmodel: {n_layer: 1, n_embd: 4}\n", "tiny"));
    const Parameters<float> params = fuzz::tiny_parameters(tokenizer.vocab_size());
    c.model = params.config();
    c.tokenizer = tokenizer;
    c.params = params.values;
    c.adam.step = step;
    c.adam.m.assign(params.values.size(), 0.001f);
    c.adam.v.assign(params.values.size(), 0.0001f);
    c.progress.step = step;
    c.progress.tokens_seen = std::uint64_t(step) * 64;
    c.progress.best_val_loss = 1.5;
    c.progress.best_step = step;
    c.progress.last_val_loss = 1.5;
    return c;
}

std::string tiny_state_bytes(std::size_t prompt_tokens) {
    const Parameters<float> params = fuzz::tiny_parameters(6);
    Generator generator(params, default_prompt_chunk(params.config()));
    std::vector<TokenId> prompt;
    for (std::size_t i = 0; i < prompt_tokens; ++i) prompt.push_back(TokenId(2 + i % 4));
    generator.feed(prompt);
    return encode_state_file(capture_state(generator, fingerprint_model(params, fuzz::tiny_char_tokenizer())));
}

std::string metrics_rows(int last_step, bool cut_last_line) {
    std::string text;
    for (int step = 10; step <= last_step; step += 10) {
        Json row = Json::object();
        row["step"] = step;
        row["epoch"] = 0;
        row["lr"] = 0.002;
        row["loss"] = 4.0 - step * 0.01;
        row["grad_norm"] = 1.25;
        row["tokens"] = step * 64;
        row["skipped_steps"] = 0;
        row["tokens_per_s"] = 51234.5;
        row["elapsed_s"] = step * 0.05;
        if (step % 50 == 0) {
            row["val_loss"] = 3.9 - step * 0.01;
            row["val_ppl"] = 40.5;
            row["val_bpc"] = step == 50 ? Json(nullptr) : Json(5.25);
        }
        text += json_line(row) + "\n";
    }
    if (cut_last_line) text += "{\"step\": " + std::to_string(last_step + 10) + ", \"epoch\": 0, \"lr\": 0.0";
    return text;
}

std::string summary(bool evaluated) {
    Json s = Json::object();
    s["run_dir"] = "runs/tiny";
    s["parameters"] = 1234;
    s["steps"] = 100;
    s["epochs"] = 1.5;
    s["tokens"] = 6400;
    s["skipped_steps"] = 0;
    s["tokens_per_s"] = 51234.5;
    s["wall_s"] = 5.0;
    s["final_val_loss"] = evaluated ? Json(2.9) : Json(nullptr);
    s["best_val_loss"] = evaluated ? Json(2.9) : Json(nullptr);
    s["best_val_bpc"] = evaluated ? Json(4.2) : Json(nullptr);
    s["best_step"] = evaluated ? 100 : -1;
    s["peak_rss_mb"] = 60.25;
    return json_line(s) + "\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: lrnn_fuzz_make_corpus CORPUS_DIR (tests/fuzz/corpus)\n";
        return 2;
    }
    const fs::path root = argv[1];
    const fs::path scratch = fs::temp_directory_path() / "lrnn-fuzz-make-corpus";
    fs::create_directories(scratch);

    const Tokenizer chars = fuzz::tiny_char_tokenizer(), words = fuzz::tiny_word_tokenizer();
    write_with_cut(root / "fuzz_seed_model/c02-char.bin", seed_model_bytes(true, chars), 300);
    write_with_cut(root / "fuzz_seed_model/c01-char.bin", seed_model_bytes(false, chars), 1200);
    write_with_cut(root / "fuzz_seed_model/c02-word.bin", seed_model_bytes(true, words), 80);

    for (const auto& [name, tokenizer] : {std::pair{"char", chars}, std::pair{"word", words}}) {
        const fs::path tmp = scratch / "tiny.ckpt";
        write_checkpoint(tmp.string(), tiny_checkpoint(tokenizer, 40));
        const std::string bytes = read_all(tmp);
        write_with_cut(root / "fuzz_checkpoint" / (std::string(name) + ".ckpt"), bytes, bytes.size() / 2);
    }

    write_with_cut(root / "fuzz_state_file/after-1-token.lrnnstate", tiny_state_bytes(1), 70);
    write_with_cut(root / "fuzz_state_file/after-9-tokens.lrnnstate", tiny_state_bytes(9), 100);

    const std::vector<float> values = {0.5f, -1.25f, 3.0f, 0.0f, 1e-3f, 42.0f};
    for (const auto& [name, shape] : {std::pair{"2x3", std::vector<std::size_t>{2, 3}},
                                      std::pair{"6", std::vector<std::size_t>{6}},
                                      std::pair{"1x2x3", std::vector<std::size_t>{1, 2, 3}},
                                      std::pair{"0x3", std::vector<std::size_t>{0, 3}}}) {
        const fs::path tmp = scratch / "a.npy";
        write_npy(tmp.string(), std::span(values).first(shape[0] == 0 ? 0 : values.size()), shape);
        const std::string bytes = read_all(tmp);
        write_with_cut(root / "fuzz_npy" / (std::string(name) + ".npy"), bytes, bytes.size() - 5);
    }

    for (const char* target : {"fuzz_compare_metrics", "fuzz_resume_metrics"}) {
        write_all(root / target / "ten-rows.jsonl", metrics_rows(100, false));
        write_all(root / target / "killed-mid-line.jsonl", metrics_rows(60, true));
    }
    write_all(root / "fuzz_compare_summary/evaluated.json", summary(true));
    write_all(root / "fuzz_compare_summary/never-evaluated.json", summary(false));

    const std::vector<TokenId> ids = {0, 5, 17, 60, 3, 3, 42};
    const TokenStoreSource source{0x0123456789abcdefULL, 0xfedcba9876543210ULL, 4096};
    write_with_cut(root / "fuzz_token_store/uint16-61.tokens", encode_token_store(ids, 61, source), 70);
    write_with_cut(root / "fuzz_token_store/uint32-70000.tokens", encode_token_store(ids, 70000, source), 64);

    TokenManifest manifest;
    manifest.key = Json{{"store_version", 1}, {"train_files", stamps_to_json({FileStamp{"a.txt", 4096, 1700000000123456789}})},
                        {"val_fraction", 0.1}, {"tokenizer_from", "built"}, {"tokenizer", "char"}};
    manifest.name = "a.txt";
    manifest.text_fingerprint = source.text_fingerprint;
    manifest.text_bytes = 4096;
    manifest.train_bytes = 3686;
    manifest.vocabulary_fingerprint = source.vocabulary_fingerprint;
    manifest.tokenizer = Json{{"kind", "char"}, {"vocab_size", 3}, {"bytes_by_id", {10, 32, 97}}};
    manifest.train_tokens = 3686;
    manifest.val_tokens = 410;
    manifest.stores = {FileStamp{"train.tokens", 7436, 1700000000223456789}, FileStamp{"val.tokens", 884, 1700000000323456789}};
    write_all(root / "fuzz_token_manifest/made-char.json", encode_token_manifest(manifest));
    manifest.tokenizer = Json{{"kind", "bpe"}, {"model_file", "tokenizer.model"}};
    write_all(root / "fuzz_token_manifest/made-bpe.json", encode_token_manifest(manifest));

    // Each written file must read back: a seed the reader refuses teaches the fuzzer little.
    (void)read_seed_model((root / "fuzz_seed_model/c02-word.bin").string());
    (void)read_seed_model((root / "fuzz_seed_model/c01-char.bin").string());
    (void)read_checkpoint((root / "fuzz_checkpoint/word.ckpt").string());
    fs::remove_all(scratch);
    std::cout << "wrote the seed corpus under " << root.string() << "\n";
    return 0;
}
