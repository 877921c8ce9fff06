#include "compare/report.hpp"

#include <cmath>
#include <cstdint>

#include "core/json.hpp"

namespace lrnn {

namespace {

// Integers as integers (95232, not 95232.0: the runs' files hold them so), the rest in the
// shortest form that reads back exactly; a number the run does not have is null.
Json number_or_null(const std::optional<double>& v) {
    if (!v) return nullptr;
    if (std::abs(*v) <= 9007199254740992.0 && *v == std::floor(*v)) return static_cast<std::int64_t>(*v);  // 2^53
    return *v;
}

// The document laid out for people as well as scripts: the top level and each run one field
// per line, everything inside a run's field on one line (core/json's layout).
void append_laid_out(std::string& out, const Json& value, int depth) {
    const bool expand = (value.is_object() && depth <= 2 && !value.empty()) ||
                        (value.is_array() && !value.empty() && value.front().is_object());
    if (!expand) {
        out += json_line(value);
        return;
    }
    const std::string indent(std::size_t(2 * (depth + 1)), ' ');
    out += value.is_object() ? "{" : "[";
    bool first = true;
    for (const auto& [key, item] : value.items()) {
        out += first ? "\n" : ",\n";
        first = false;
        out += indent;
        if (value.is_object()) out.append(json_line(Json(key))).append(": ");
        append_laid_out(out, item, depth + 1);
    }
    out.append("\n").append(std::size_t(2 * depth), ' ').append(value.is_object() ? "}" : "]");
}

}  // namespace

std::string json_results(const ReportContext& report) {
    const ComparisonTable& t = report.table;
    Json runs = Json::array();
    for (std::size_t c = 0; c < report.runs.size(); ++c) {
        const RunRecord& r = report.runs[c];
        Json config = Json::object(), results = Json::object(), best = Json::array();
        for (const TableRow& row : t.rows) {
            if (row.kind == RowKind::Config) config[row.key] = row.cells[c];
            if (row.kind != RowKind::Result) continue;
            results[row.key] = number_or_null(row.values[c]);
            if (row.best[c]) best.push_back(row.key);
        }
        runs.push_back({{"name", r.name},
                        {"run_dir", r.run_dir},
                        {"source", r.source},
                        {"status", to_string(r.status)},
                        {"error", r.error},
                        {"stop_reason", r.stop_reason ? Json(*r.stop_reason) : Json(nullptr)},
                        {"log", r.log_path},
                        {"config", std::move(config)},
                        {"results", std::move(results)},
                        {"best", std::move(best)}});
    }
    Json best_of_row = Json::object();
    for (const TableRow& row : t.rows) {
        if (row.kind != RowKind::Result || row.better == Better::None) continue;
        Json names = Json::array();
        for (std::size_t c = 0; c < row.best.size(); ++c)
            if (row.best[c]) names.push_back(t.columns[c]);
        best_of_row[row.key] = std::move(names);
    }
    const Json document = {{"name", report.name},
                           {"budget", report.budget_text},
                           {"differing_keys", t.differing_keys},
                           {"runs", std::move(runs)},
                           {"best", std::move(best_of_row)},
                           {"notes", t.notes}};
    std::string out;
    append_laid_out(out, document, 0);
    return out + "\n";
}

}  // namespace lrnn
