#include "io/tokenizer_file.hpp"

#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_reader.hpp"

namespace lrnn {

Tokenizer read_tokenizer_model(const std::string& path, const std::string& key) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw UserError(key + ": " + path + ": " + (std::filesystem::exists(path, ec) ? "not a regular file" : "file not found"));
    const std::vector<char> bytes = read_file_bytes(path);
    return Tokenizer::from_sentencepiece(std::string(bytes.begin(), bytes.end()), key + ": " + path);
}

std::string tokenizer_model_path(const std::string& run_dir) { return run_dir + "/tokenizer.model"; }

void write_tokenizer_model(const std::string& run_dir, const Tokenizer& tokenizer) {
    if (!tokenizer.is_subword()) return;
    write_file_atomically(tokenizer_model_path(run_dir), tokenizer.sentencepiece_model());
}

}  // namespace lrnn
