#include "io/corpus_file.hpp"

#include <filesystem>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "io/byte_reader.hpp"

namespace lrnn {

Corpus load_corpus(const std::string& path, const std::string& tokenizer_kind, double val_fraction,
                   const Tokenizer* tokenizer, const SubwordTraining& subword) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw UserError("data.path: " + path + ": file not found");
    if (std::filesystem::is_directory(path, ec))
        throw UserError("data.path: " + path + ": is a directory, expected a text file");
    const std::vector<char> bytes = read_file_bytes(path);
    if (bytes.empty()) throw UserError("data.path: " + path + ": the corpus is empty");
    return make_corpus(std::string_view(bytes.data(), bytes.size()), path, tokenizer_kind, val_fraction, tokenizer, subword);
}

}  // namespace lrnn
