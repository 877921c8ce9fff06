#pragma once
// Fine-tuning (train.init_from, docs/config.md): a new run whose parameters start from trained
// weights (a run directory, a checkpoint, a seed model file or a safetensors export) instead of
// the initialisation of model-spec.md section 2. The optimizer and the schedule start afresh;
// the corpus may be any text, tokenized with the source's tokenizer. Once started, the run is
// a run like any other: its checkpoints hold everything, and it resumes exactly.

#include <string>

#include "config/train_config.hpp"
#include "data/corpus.hpp"
#include "data/tokenizer.hpp"
#include "model/model.hpp"

namespace lrnn {

struct InitialWeights {
    std::string source;  // the file read (a run directory's newest good checkpoint), absolute
    Parameters<float> params;
    Tokenizer tokenizer;
};

// UserError naming train.init_from and the path for anything load_model refuses.
InitialWeights load_initial_weights(const std::string& init_from);

// The corpus of the data.* keys (train/run_corpus.hpp) tokenized with the source's
// tokenizer. A char vocabulary that lacks a byte of the corpus is refused naming the byte
// and its position (a word tokenizer maps unknown words to <unk>). data.tokenizer, if
// given, must name the source's kind.
Corpus fine_tune_corpus(const TrainConfig& config, const InitialWeights& weights);
// The data.tokenizer check alone (a start that reuses the token stores reads no corpus).
void check_fine_tune_tokenizer(const TrainConfig& config, const InitialWeights& weights);

// The shape the run trains: the source's. Every model key the config gives explicitly must
// agree with it (UserError naming the key and both values), except model.ctx_len, the length
// of a training chunk, which the weights do not fix.
ModelConfig fine_tune_shape(const TrainConfig& config, const InitialWeights& weights);

}  // namespace lrnn
