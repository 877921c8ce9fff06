#include "compare/unk_ranking.hpp"

#include <cstdio>

namespace lrnn {

UnkRanking rank_bits_per_byte(const std::vector<RunRecord>& runs, bool same_tokens) {
    UnkRanking ranking;
    ranking.competes.assign(runs.size(), true);
    std::string excluded;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const std::optional<double>& share = runs[i].numbers.val_unk_share;
        if (!share || !(*share > 0)) continue;  // none reported (char, bpe, unigram) or none fell into <unk>
        ranking.show_row = true;
        if (same_tokens) continue;
        ranking.competes[i] = false;
        char percent[32];
        std::snprintf(percent, sizeof percent, "%.2f%%", 100.0 * *share);
        excluded += (excluded.empty() ? "" : ", ") + runs[i].name + " (" + percent + ")";
    }
    if (!excluded.empty())
        ranking.note = "best val bpc does not rank " + excluded +
                       ": that share of the validation bytes fell into <unk>, which bits per byte score as one "
                       "cheap guess, so the figure is not comparable with runs that cut the text differently "
                       "(docs/formats.md, \"Bits per byte and the <unk> share\")";
    return ranking;
}

}  // namespace lrnn
