#include "compare/report.hpp"

#include <sstream>

#include "train/metrics.hpp"

namespace lrnn {

std::string json_results(const ReportContext& report) {
    const ComparisonTable& t = report.table;
    std::ostringstream o;
    auto string_list = [&](const std::vector<std::string>& items) {
        std::string s = "[";
        for (std::size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + json_quote(items[i]);
        return s + "]";
    };
    o << "{\n  \"name\": " << json_quote(report.name) << ",\n  \"budget\": " << json_quote(report.budget_text)
      << ",\n  \"differing_keys\": " << string_list(t.differing_keys) << ",\n  \"runs\": [";
    for (std::size_t c = 0; c < report.runs.size(); ++c) {
        const RunRecord& r = report.runs[c];
        o << (c ? "," : "") << "\n    {\n      \"name\": " << json_quote(r.name) << ",\n      \"run_dir\": "
          << json_quote(r.run_dir) << ",\n      \"source\": " << json_quote(r.source) << ",\n      \"status\": "
          << json_quote(to_string(r.status)) << ",\n      \"error\": " << json_quote(r.error) << ",\n      \"log\": "
          << json_quote(r.log_path) << ",\n      \"config\": {";
        bool first = true;
        for (const TableRow& row : t.rows) {
            if (row.kind != RowKind::Config) continue;
            o << (first ? "" : ", ") << json_quote(row.key) << ": " << json_quote(row.cells[c]);
            first = false;
        }
        o << "},\n      \"results\": {";
        first = true;
        std::vector<std::string> best;
        for (const TableRow& row : t.rows) {
            if (row.kind != RowKind::Result) continue;
            // Integers as integers, the rest in the shortest form that reads back exactly.
            const auto& v = row.values[c];
            o << (first ? "" : ", ") << json_quote(row.key) << ": " << (v ? json_number(*v) : "null");
            first = false;
            if (row.best[c]) best.push_back(row.key);
        }
        o << "},\n      \"best\": " << string_list(best) << "\n    }";
    }
    o << "\n  ],\n  \"best\": {";
    bool first = true;
    for (const TableRow& row : t.rows) {
        if (row.kind != RowKind::Result || row.better == Better::None) continue;
        std::vector<std::string> names;
        for (std::size_t c = 0; c < row.best.size(); ++c)
            if (row.best[c]) names.push_back(t.columns[c]);
        o << (first ? "" : ", ") << "\n    " << json_quote(row.key) << ": " << string_list(names);
        first = false;
    }
    o << "\n  }\n}\n";
    return o.str();
}

}  // namespace lrnn
