#include "io/model_loader.hpp"

#include <filesystem>
#include <iostream>

#include "core/error.hpp"
#include "io/seed_model.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"
#include "io/safetensors.hpp"

namespace lrnn {

namespace {

LoadedModel from_checkpoint(Checkpoint checkpoint, const std::string& source) {
    Parameters<float> params(checkpoint.model);
    // read_checkpoint has checked that the record holds exactly the layout's size.
    if (checkpoint.params.size() != params.values.size())
        throw UserError(source + ": the parameters do not match the model's shape");
    params.values = std::move(checkpoint.params);
    return LoadedModel{std::move(params), std::move(checkpoint.tokenizer), source,
                       std::move(checkpoint.config_yaml)};
}

}  // namespace

LoadedModel load_model(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw UserError(path + ": no such file or directory");
    if (fs::is_directory(path, ec)) {
        // A run directory: its newest checkpoint that loads and verifies. Skipped (damaged)
        // checkpoints are reported on stderr, so stdout stays the command's own output.
        if (!fs::is_directory(checkpoint_dir(path), ec))
            throw UserError(path + ": a directory but not a run directory (no checkpoints/ in it); "
                                   "expected a model file, a checkpoint or a run directory");
        std::string source;
        Checkpoint checkpoint = load_newest_checkpoint(path, std::cerr, &source);
        return from_checkpoint(std::move(checkpoint), source);
    }
    if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == 0)
        throw UserError(path + ": the file is empty (0 bytes); expected a model file or a checkpoint");
    if (is_checkpoint_file(path)) return from_checkpoint(read_checkpoint(path), path);
    if (is_seed_model_file(path)) {
        ImportedModel m = read_seed_model(path);
        return LoadedModel{std::move(m.params), std::move(m.tokenizer), path, ""};
    }
    if (is_safetensors_file(path)) {
        SafetensorsModel m = read_safetensors(path);
        return LoadedModel{std::move(m.params), std::move(m.tokenizer), path, ""};
    }
    throw UserError(path + ": not a model file this build can read (expected an lrnn checkpoint "
                           "LRNNCKPT, a run directory, an lrnn seed model file lrnnC01/lrnnC02, or a safetensors "
                           "file written by lrnn export)");
}

}  // namespace lrnn
