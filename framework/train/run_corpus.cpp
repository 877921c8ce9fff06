#include "train/run_corpus.hpp"

#include <optional>

#include "core/error.hpp"
#include "io/corpus_file.hpp"
#include "io/tokenizer_file.hpp"

namespace lrnn {

std::optional<Tokenizer> configured_tokenizer(const TrainConfig& config) {
    const DataSection& data = config.data;
    if (data.tokenizer_path.empty()) return std::nullopt;
    Tokenizer given = read_tokenizer_model(data.tokenizer_path, "data.tokenizer_path");
    if (to_string(given.kind()) != data.tokenizer)
        throw UserError("data.tokenizer_path: " + data.tokenizer_path + " is a " + to_string(given.kind()) +
                        " model, but data.tokenizer is " + data.tokenizer + "; make them agree");
    return given;
}

Corpus load_run_corpus(const TrainConfig& config, const Tokenizer* stored) {
    const DataSection& data = config.data;
    std::optional<Tokenizer> given;
    if (!stored) {
        given = configured_tokenizer(config);
        if (given) stored = &*given;
    }
    const SubwordTraining subword{.vocab_size = data.vocab_size, .seed = config.run.seed};
    const CorpusSources sources{data.path_entries(), data.val_path_entries(), data.jsonl_field};
    return load_corpus(sources, data.tokenizer, data.val_fraction, stored, subword);
}

}  // namespace lrnn
