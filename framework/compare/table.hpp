#pragma once
// The comparison table: one column per run; first the config keys whose values differ
// between the runs (and only those), then the results, each result row's best value marked.
// The terminal, report.md, report.html and results.json all show this one table.

#include <optional>
#include <string>
#include <vector>

#include "compare/run_record.hpp"

namespace lrnn {

enum class RowKind { Status, Config, Result };
enum class Better { None, Lower, Higher };  // which value of a result row is the best

struct TableRow {
    std::string key;    // "train.lr", "best_val_loss", "status": the name in results.json
    std::string label;  // what a person reads: "train.lr", "best val loss"
    RowKind kind = RowKind::Result;
    Better better = Better::None;
    std::vector<std::optional<double>> values;  // result rows: the exact numbers
    std::vector<std::string> cells;             // as shown ("-" when there is nothing)
    std::vector<bool> best;
};

struct ComparisonTable {
    std::vector<std::string> columns;        // run names
    std::vector<std::string> differing_keys; // config keys with more than one value
    std::vector<TableRow> rows;
    // Why a row marks fewer runs than it shows (every report prints them under the table).
    std::vector<std::string> notes;
};

ComparisonTable build_table(const std::vector<RunRecord>& runs);

// A result row's number as every report shows it: "354,304" parameters, "7,800" tokens/s,
// "2.63" seconds, "2.7272" losses and bits per byte.
std::string format_result(const std::string& row_key, double value);

// Fixed-width text for the terminal; best values followed by " *".
std::string render_text_table(const ComparisonTable& table);

}  // namespace lrnn
