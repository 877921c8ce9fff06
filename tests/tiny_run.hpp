#pragma once
// What the end-to-end training tests start from: a slice of the bundled corpus and the smallest
// model shape worth training (a step takes milliseconds), in a test's own temporary folder.

#include <filesystem>
#include <fstream>
#include <string>

namespace lrnn::test {

// The model every tiny run trains.
inline constexpr const char* kTinyModelYaml =
    "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2}\n";

// The first `bytes` bytes of data/tinyshakespeare.txt, written as DIR/NAME.
inline std::filesystem::path write_corpus_slice(const std::filesystem::path& dir, std::size_t bytes = 20000,
                                                const std::string& name = "corpus.txt") {
    std::ifstream in(std::string(LRNN_SOURCE_DIR) + "/data/tinyshakespeare.txt", std::ios::binary);
    std::string text(bytes, '\0');
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(std::size_t(in.gcount()));
    const auto path = dir / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// DIR/FILE: a config that trains the tiny model on DIR/corpus.txt (write_corpus_slice) into
// DIR/runs. `run_keys` open its run: mapping ("name: tiny, "); `rest` is the train: line and
// whatever follows it. Returns the config's path.
inline std::string write_tiny_config(const std::filesystem::path& dir, const std::string& file,
                                     const std::string& rest, const std::string& run_keys = "") {
    const std::string path = (dir / file).string();
    std::ofstream(path) << "run: {" << run_keys << "dir: " << (dir / "runs").string() << "}\n"
                        << "data: {path: corpus.txt}\n"
                        << kTinyModelYaml << rest;
    return path;
}

}  // namespace lrnn::test
