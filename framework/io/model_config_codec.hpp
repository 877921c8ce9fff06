#pragma once
// The one reader and writer of ModelConfig in binary files. Each format stores the eight
// fields in an order of its own (fixed when the format was made, so it stays), and the seed
// model stores ffn_multiplier as float32: a format says which with a ModelConfigLayout, and
// the layouts of all formats sit together here.

#include <array>

#include "io/byte_reader.hpp"
#include "io/byte_writer.hpp"
#include "model/config.hpp"

namespace lrnn {

enum class ConfigField { VocabSize, NLayer, NEmbd, NHead, CtxLen, DecayLoraRank, FfnMultiplier, NMemSlots };

struct ModelConfigLayout {
    std::array<ConfigField, 8> order;  // as the fields follow each other in the file
    bool ffn_float32;                  // ffn_multiplier as float32 (else float64); every other field is int32
    const char* field_prefix;          // how read errors name a field: prefix + "n_embd"
};

namespace config_layouts {
using enum ConfigField;
// Record MODL of a checkpoint (docs/checkpoints.md).
inline constexpr ModelConfigLayout kCheckpoint{
    {VocabSize, NLayer, NEmbd, NHead, CtxLen, DecayLoraRank, NMemSlots, FfnMultiplier}, false, ""};
// Bytes 12..44 of a generation state file (io/state_file.hpp).
inline constexpr ModelConfigLayout kStateFile{
    {VocabSize, NLayer, NEmbd, NHead, CtxLen, DecayLoraRank, FfnMultiplier, NMemSlots}, false, ""};
// The seed program's model file (model-spec.md section 10).
inline constexpr ModelConfigLayout kSeedModel{
    {VocabSize, NLayer, NEmbd, NHead, CtxLen, DecayLoraRank, FfnMultiplier, NMemSlots}, true, "config "};
}  // namespace config_layouts

void write_model_config(ByteWriter& out, const ModelConfig& config, const ModelConfigLayout& layout);

// Reads the fields only (a short file fails naming the field); validating them is the
// format's business, since each reports a bad shape in words of its own.
ModelConfig read_model_config(ByteReader& in, const ModelConfigLayout& layout);

}  // namespace lrnn
