#include "io/model_loader.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "io/seed_model.hpp"

namespace lrnn {

LoadedModel load_model(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw UserError(path + ": no such file or directory");
    if (is_seed_model_file(path)) {
        ImportedModel m = read_seed_model(path);
        return LoadedModel{std::move(m.params), std::move(m.tokenizer), path, ""};
    }
    throw UserError(path + ": not a model file this build can read (expected an lrnn seed model "
                           "file lrnnC01/lrnnC02)");
}

}  // namespace lrnn
