#pragma once
// Which runs' bits per byte may be ranked against each other. A word-tokenizer run scores
// the bytes that fell into <unk> at the price of one cheap guess, so its bits per byte can
// look better than the model is (docs/formats.md, "Bits per byte and the <unk> share"):
// such a run competes for the best bits per byte only when every run of the table cuts the
// same text into the same tokens (then all have the same share); otherwise it is shown,
// not marked, and the table's note says why.

#include <string>
#include <vector>

#include "compare/run_record.hpp"

namespace lrnn {

struct UnkRanking {
    std::vector<bool> competes;  // per run: may its best_val_bpc be marked best?
    bool show_row = false;       // some run has a non-zero <unk> share: show the share row
    std::string note;            // why some runs are not ranked ("" when all are)
};

// same_tokens: every run has the same tokenizer, corpus and vocabulary settings.
UnkRanking rank_bits_per_byte(const std::vector<RunRecord>& runs, bool same_tokens);

}  // namespace lrnn
