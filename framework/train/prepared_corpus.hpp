#pragma once
// The corpus a run trains on, as token stores (io/token_store.hpp) mapped from a cache folder
// beside the runs, written there once (by `lrnn prepare` or by the first `lrnn train` that needs
// them) and reused by every later start:
//   RUN_DIR_PARENT/.token-stores/<16 hex digits>/
//       manifest.json (io/token_manifest.hpp, written last), train.tokens, val.tokens,
//       val.token_bytes (word only), tokenizer.model (bpe / unigram)
// where RUN_DIR_PARENT is run.dir and the folder name is a hash of the corpus's file paths and
// the data settings that change the ids. The manifest's key adds each file's size and mtime:
// a folder whose key differs is stale and is rebuilt in place. Deleting the folder (or all of
// .token-stores) is always safe: the next prepare or train writes it again.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/train_config.hpp"
#include "core/json.hpp"
#include "data/tokenizer.hpp"
#include "io/token_store.hpp"

namespace lrnn {

// The stores a run trains on, mapped: nothing of the corpus is in memory but the tokenizer.
struct TrainingData {
    std::string name;              // the corpus as messages name it (Corpus::path)
    std::uint64_t bytes = 0;       // the whole text's size (Corpus::bytes)
    std::uint64_t hash = 0;        // and FNV-1a 64 (Corpus::hash): what checkpoints record
    std::uint64_t train_bytes = 0; // bytes in the training part
    Tokenizer tokenizer;
    std::string folder;
    TokenStore train;
    TokenStore val;
    std::optional<TokenStore> val_token_bytes;  // word: the bytes behind each validation token
    bool reused = false;           // the stores were there and valid: nothing was tokenized

    // The bytes of text behind validation tokens [first, first + count): from the tokenizer
    // (char 1, bpe / unigram the piece's bytes) or, for word, from val.token_bytes.
    std::vector<std::uint32_t> val_bytes(std::size_t first, std::size_t count) const;
};

// How an existing store is checked before it is used. Every start checks the manifest, the
// stores' size and mtime against it, and their headers; `full_check_bytes` is the largest
// store whose every id and checksum is also read (the whole file): `lrnn prepare` checks all,
// `lrnn train` the stores up to kStartFullCheckBytes, so a start on gigabytes stays quick.
inline constexpr std::uint64_t kStartFullCheckBytes = 256ull << 20;

// How the stores are found or made. `given`: the vocabulary to use (resume, fine-tuning)
// instead of building or training one from the config.
struct DataRequest {
    const Tokenizer* given = nullptr;
    std::uint64_t full_check_bytes = kStartFullCheckBytes;
    // Streaming: text per tokenized block (tests: tiny). Two blocks per worker are in memory
    // at a time, each with its ids (4 bytes per id): about 2 x 5 x 8 MB per worker for char.
    std::size_t block_bytes = 8u << 20;
    bool progress = false;                // streaming: draw a status line on `log`
};

// The valid stores of `config`'s corpus, reused or written (a damaged or stale one is named on
// `log` with the reason and rebuilt, never used). With `given` (resume), a folder written for
// the config's own tokenizer is taken when its vocabulary is the given one. UserError as
// reading the corpus says; OutputError naming the path if the folder or a file cannot be written.
TrainingData open_training_data(const TrainConfig& config, const DataRequest& request, std::ostream& log);

// The stores open_training_data would return without writing any: the valid ones already in
// the cache folder (by an earlier prepare or train), checked as a start checks them; nullopt,
// saying on `log` why a folder there is not usable, when there are none. Writes nothing and
// takes no lock (the manifest is written last, so a folder being prepared has none). For the
// dry run, which must not tokenize a prepared corpus of gigabytes into memory again.
std::optional<TrainingData> existing_training_data(const TrainConfig& config, const Tokenizer* given,
                                                   std::ostream& log);

// The folder a fresh run of `config` uses (tokenizer built, trained or read from
// data.tokenizer_path): for tests and messages. UserError as listing the sources says.
std::string token_store_folder(const TrainConfig& config);

}  // namespace lrnn
