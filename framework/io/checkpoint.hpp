#pragma once
// Training checkpoints: everything needed to continue a run as if it had never stopped.
// File format (docs/checkpoints.md): a 32-byte header (magic "LRNNCKPT", version, payload size,
// CRC-32C of the payload, CRC-32C of the header) and a payload of tagged records.
// Written atomically (io/atomic_file.hpp); read with every size checked before use.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "data/tokenizer.hpp"
#include "model/config.hpp"
#include "model/optimizer_state.hpp"

namespace lrnn {

inline constexpr std::uint32_t kCheckpointVersion = 1;

// Early stopping's count (train.early_stopping): record ESTP, written only by runs that use it.
struct EarlyStoppingProgress {
    std::int64_t evals_since_improvement = 0;  // evaluations since the last improvement by min_delta
    double reference_loss = std::numeric_limits<double>::infinity();  // the loss that improvement set
};

// Where training stands after `step` completed optimizer steps.
struct TrainingProgress {
    std::int64_t step = 0;           // optimizer steps done (applied or skipped)
    std::uint64_t epoch = 0;         // current epoch (0-based)
    std::uint64_t position = 0;      // next chunk position within the epoch's order
    std::int64_t skipped_steps = 0;  // steps skipped for a non-finite loss or gradient
    std::uint64_t tokens_seen = 0;   // target tokens trained on
    double elapsed_s = 0;            // training wall time so far (timing only)
    double best_val_loss = std::numeric_limits<double>::infinity();
    std::int64_t best_step = -1;
    double last_val_loss = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t corpus_hash = 0;   // FNV-1a 64 of the corpus file
    std::uint64_t corpus_bytes = 0;
    bool finished = false;           // the run reached its end
    std::optional<EarlyStoppingProgress> early_stopping;  // absent: not recorded (off, or an older file)
};

struct Checkpoint {
    std::string config_yaml;  // the resolved config of the run
    ModelConfig model;
    Tokenizer tokenizer;
    std::vector<float> params;  // parameter layout of `model`
    AdamWState adam;
    TrainingProgress progress;
};

// Writes atomically. `midway` (tests only) runs after half of the bytes are written.
void write_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                      const std::function<void()>& midway = {});

// Reads and validates; UserError naming the file and the problem (truncated, checksum
// mismatch, wrong version, sizes that disagree, ...).
Checkpoint read_checkpoint(const std::string& path);

// The same from the file's bytes in memory; `name` stands for the file in messages.
Checkpoint parse_checkpoint(std::span<const char> bytes, const std::string& name);

// True if the file starts with the checkpoint magic.
bool is_checkpoint_file(const std::string& path);

}  // namespace lrnn
