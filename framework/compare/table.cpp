#include "compare/table.hpp"
#include "compare/unk_ranking.hpp"
#include "compare/value_text.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "config/train_config.hpp"

namespace lrnn {

namespace {

struct ResultRowSpec {
    const char* key;
    const char* label;
    Better better;
    std::optional<double> RunNumbers::*field;
};

// Parameters, the step and the time of the best are context, not a score: not marked.
const ResultRowSpec kResultRows[] = {
    {"parameters", "parameters", Better::None, &RunNumbers::parameters},
    {"tokens_per_s", "tokens/s", Better::Higher, &RunNumbers::tokens_per_s},
    {"wall_s", "wall time (s)", Better::Lower, &RunNumbers::wall_s},
    {"final_train_loss", "final train loss", Better::Lower, &RunNumbers::final_train_loss},
    {"best_val_loss", "best val loss", Better::Lower, &RunNumbers::best_val_loss},
    {"best_val_bpc", "best val bpc", Better::Lower, &RunNumbers::best_val_bpc},
    {"best_step", "best at step", Better::None, &RunNumbers::best_step},
    {"best_elapsed_s", "best at (s)", Better::None, &RunNumbers::best_elapsed_s},
};

std::string with_thousands(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    std::string digits = buf, sign;
    if (!digits.empty() && digits[0] == '-') sign = "-", digits.erase(0, 1);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return sign + out;
}

std::size_t display_width(const std::string& s) {
    // UTF-8: count code points, not bytes (values may hold non-ASCII text).
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

}  // namespace

std::string format_result(const std::string& row_key, double value) {
    char buf[64];
    if (row_key == "parameters" || row_key == "tokens_per_s") return with_thousands(value);
    if (row_key == "wall_s" || row_key == "best_elapsed_s") std::snprintf(buf, sizeof buf, "%.2f", value);
    else if (row_key == "best_step" || row_key == "skipped_steps") std::snprintf(buf, sizeof buf, "%.0f", value);
    else if (row_key == "val_unk_share") std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * value);
    else std::snprintf(buf, sizeof buf, "%.4f", value);
    return buf;
}

ComparisonTable build_table(const std::vector<RunRecord>& runs) {
    ComparisonTable table;
    for (const RunRecord& r : runs) table.columns.push_back(r.name);

    const bool all_ok = std::all_of(runs.begin(), runs.end(), [](const RunRecord& r) { return r.status == RunStatus::Ok; });
    if (!all_ok) {
        TableRow row{"status", "status", RowKind::Status, Better::None, {}, {}, {}};
        for (const RunRecord& r : runs) row.cells.push_back(to_string(r.status));
        row.values.assign(runs.size(), std::nullopt);
        row.best.assign(runs.size(), false);
        table.rows.push_back(std::move(row));
    }

    // Why each run stopped, when that tells the runs apart: one ended early (early stopping,
    // the time budget) while the others completed.
    const bool any_stopped_early = std::any_of(runs.begin(), runs.end(), [](const RunRecord& r) {
        return r.stop_reason && *r.stop_reason != "completed";
    });
    if (any_stopped_early) {
        TableRow row{"stopped", "stopped", RowKind::Status, Better::None, {}, {}, {}};
        for (const RunRecord& r : runs) row.cells.push_back(r.stop_reason ? *r.stop_reason : "-");
        row.values.assign(runs.size(), std::nullopt);
        row.best.assign(runs.size(), false);
        table.rows.push_back(std::move(row));
    }

    // Keys in schema order (the record maps are sorted alphabetically, which reads worse).
    for (const std::string& key : config_keys()) {
        if (key == "run.name" || key == "run.dir") continue;  // differ by construction
        std::set<std::string> distinct;
        for (const RunRecord& r : runs)
            if (auto it = r.config.find(key); it != r.config.end()) distinct.insert(it->second);
        if (distinct.size() < 2) continue;
        table.differing_keys.push_back(key);
        TableRow row{key, key, RowKind::Config, Better::None, {}, {}, {}};
        for (const RunRecord& r : runs) {
            const auto it = r.config.find(key);
            row.cells.push_back(it == r.config.end() ? "?" : it->second);
        }
        row.values.assign(runs.size(), std::nullopt);
        row.best.assign(runs.size(), false);
        table.rows.push_back(std::move(row));
    }

    // Only finished runs compete for "best", and of those only the ones `competes` allows.
    auto add_result_row = [&](const std::string& key, const std::string& label, Better better,
                              std::optional<double> RunNumbers::*field, const std::vector<bool>& competes) {
        TableRow row{key, label, RowKind::Result, better, {}, {}, {}};
        std::optional<double> best;
        std::size_t candidates = 0;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            const std::optional<double> v = runs[i].numbers.*field;
            row.values.push_back(v);
            row.cells.push_back(v ? format_result(key, *v) : "-");
            if (!v || runs[i].status != RunStatus::Ok || !competes[i]) continue;
            ++candidates;
            if (better == Better::None) continue;
            if (!best || (better == Better::Lower ? *v < *best : *v > *best)) best = v;
        }
        for (std::size_t i = 0; i < runs.size(); ++i)
            row.best.push_back(best && candidates >= 2 && runs[i].status == RunStatus::Ok && competes[i] &&
                               row.values[i] == best);
        table.rows.push_back(std::move(row));
    };
    const std::vector<bool> all_compete(runs.size(), true);
    // Losses are nats per token: they compare only between runs that cut the same text into
    // the same kind of tokens. Across tokenizers or corpora only bits per byte (per byte of
    // text) compete for "best".
    const auto setting = [](const RunRecord& r, const std::string& key) {
        const auto it = r.config.find(key);
        return it == r.config.end() ? std::string() : it->second;
    };
    // A run without a config.yaml (tokenizer and corpus unknown) compares with nothing.
    // (A subword vocabulary is also its size or its model file.)
    const bool same_tokens = std::all_of(runs.begin(), runs.end(), [&](const RunRecord& r) {
        return !setting(r, "data.tokenizer").empty() && !setting(r, "data.path").empty() &&
               setting(r, "data.tokenizer") == setting(runs.front(), "data.tokenizer") &&
               setting(r, "data.path") == setting(runs.front(), "data.path") &&
               setting(r, "data.vocab_size") == setting(runs.front(), "data.vocab_size") &&
               setting(r, "data.tokenizer_path") == setting(runs.front(), "data.tokenizer_path");
    });
    const UnkRanking unk = rank_bits_per_byte(runs, same_tokens);
    for (const ResultRowSpec& spec : kResultRows) {
        // Tokens per second count tokens too: a word token is several characters.
        const std::string key = spec.key;
        const bool per_token = key == "final_train_loss" || key == "best_val_loss" || key == "tokens_per_s";
        add_result_row(spec.key, spec.label, per_token && !same_tokens ? Better::None : spec.better, spec.field,
                       key == "best_val_bpc" ? unk.competes : all_compete);
    }
    if (unk.show_row) add_result_row("val_unk_share", "val <unk> share", Better::None, &RunNumbers::val_unk_share, all_compete);
    if (!unk.note.empty()) table.notes.push_back(unk.note);
    const bool any_skipped = std::any_of(runs.begin(), runs.end(), [](const RunRecord& r) {
        return r.numbers.skipped_steps && *r.numbers.skipped_steps > 0;
    });
    if (any_skipped) add_result_row("skipped_steps", "skipped steps", Better::None, &RunNumbers::skipped_steps, all_compete);
    return table;
}

std::string render_text_table(const ComparisonTable& raw) {
    // What the terminal shows: values and names with their control characters made visible.
    ComparisonTable table = raw;
    for (std::string& c : table.columns) c = terminal_text(c);
    for (TableRow& r : table.rows) {
        r.label = terminal_text(r.label);
        for (std::string& cell : r.cells) cell = terminal_text(cell);
    }
    const std::size_t n = table.columns.size();
    std::size_t label_width = 0;
    for (const TableRow& r : table.rows) label_width = std::max(label_width, display_width(r.label));
    std::vector<std::size_t> width(n, 0);
    for (std::size_t c = 0; c < n; ++c) {
        width[c] = display_width(table.columns[c]);
        for (const TableRow& r : table.rows) width[c] = std::max(width[c], display_width(r.cells[c]) + 2);
    }
    auto pad_left = [](const std::string& s, std::size_t w) {
        const std::size_t d = display_width(s);
        return (d < w ? std::string(w - d, ' ') : "") + s;
    };
    auto pad_right = [](const std::string& s, std::size_t w) {
        const std::size_t d = display_width(s);
        return s + (d < w ? std::string(w - d, ' ') : "");
    };
    std::ostringstream out;
    out << pad_right("", label_width);
    for (std::size_t c = 0; c < n; ++c) out << "   " << pad_left(table.columns[c], width[c]);
    out << "\n";
    RowKind previous = table.rows.empty() ? RowKind::Result : table.rows.front().kind;
    std::size_t total = label_width;
    for (std::size_t c = 0; c < n; ++c) total += 3 + width[c];
    for (const TableRow& r : table.rows) {
        if (r.kind != previous) out << std::string(total, '-') << "\n";
        previous = r.kind;
        out << pad_right(r.label, label_width);
        for (std::size_t c = 0; c < n; ++c) out << "   " << pad_left(r.cells[c] + (r.best[c] ? " *" : "  "), width[c]);
        out << "\n";
    }
    out << "(* best of the row among finished runs)\n";
    for (const std::string& note : table.notes) out << "note: " << terminal_text(note) << "\n";
    return out.str();
}

}  // namespace lrnn
