#pragma once
// Generation state files ("state checkpointing", model-spec.md section 5): the recurrent
// state after some text, plus the logits after its last token, so that a long prompt is
// processed once and any number of continuations start from it without refeeding anything.
//
// Layout (little-endian, version 1; docs/recipes-generate.md has the same table):
//
//   offset  bytes  field
//        0      8  magic "lrnnGST\0"
//        8      4  u32 format version (1)
//       12     32  model config: i32 vocab_size, n_layer, n_embd, n_head, ctx_len,
//                  decay_lora_rank, then f64 ffn_multiplier (at 36), i32 n_mem_slots (at 44)
//       48      4  u32 tokenizer kind (0 char, 1 word)
//       52      4  u32 CRC-32C of the parameters (float32 values in layout order)
//       56      4  u32 CRC-32C of the vocabulary (see vocabulary_checksum)
//       60      8  u64 position: tokens processed from the zero state
//       68      8  u64 n_state = n_layer * (5 + 2 n_mem_slots) * n_embd
//       76      8  u64 n_logits = vocab_size
//       84  4 n_state   f32 the state, RecurrentState::flat() order: per layer the last four
//                       ln1 outputs u_{t-4..t-1} (4, d), the last ln2 output z (d), the slot
//                       numerators N (S, d) and denominators D (S, d)
//        .  4 n_logits  f32 logits after the last processed token
//        .      4  u32 CRC-32C of every byte before it
//
// The file is tied to one model: a state means nothing to another set of weights, so the
// config, tokenizer and parameter checksums must all match, or it is refused.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "data/tokenizer.hpp"
#include "model/model.hpp"

namespace lrnn {

// What identifies "the same model" for a state file.
struct ModelFingerprint {
    ModelConfig config;
    TokenizerKind tokenizer_kind = TokenizerKind::Char;
    std::uint32_t parameters_crc = 0;
    std::uint32_t vocabulary_crc = 0;
};

ModelFingerprint fingerprint_model(const Parameters<float>& params, const Tokenizer& tokenizer);

// CRC-32C of the kind and the vocabulary entries (each word prefixed by its u32 length, so
// that ["ab","c"] and ["a","bc"] differ).
std::uint32_t vocabulary_checksum(const Tokenizer& tokenizer);

struct SavedState {
    ModelFingerprint model;
    std::uint64_t position = 0;   // tokens processed from the zero state (>= 1)
    std::vector<float> state;     // RecurrentState::flat()
    std::vector<float> logits;    // (V) after the last processed token
};

inline constexpr std::uint32_t kStateFileVersion = 1;

// The file's bytes, and back. decode checks magic, version, sizes (before allocating),
// exact length and checksum; UserError naming `name` and the problem.
std::string encode_state_file(const SavedState& saved);
SavedState decode_state_file(std::span<const char> bytes, const std::string& name);

// Written atomically (temporary file, fsync, rename).
void write_state_file(const std::string& path, const SavedState& saved);

// Reads, validates, and refuses a state made by any other model than `expected`.
SavedState read_state_file(const std::string& path, const ModelFingerprint& expected);

// UserError naming what differs, if `saved` was not made by `expected`'s model.
void check_same_model(const ModelFingerprint& saved, const ModelFingerprint& expected,
                      const std::string& name);

}  // namespace lrnn
