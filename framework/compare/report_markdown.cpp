#include "compare/report.hpp"

#include <sstream>

namespace lrnn {

namespace {

// Inside a table cell a '|' ends the cell and a backtick ends code: escape both.
std::string md_cell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += "\\|";
        else if (c == '\n') out += ' ';
        else out += c;
    }
    return out;
}

std::string md_code(const std::string& text) {
    // A code span holding backticks needs a longer fence; a doubled one covers run names.
    const std::string fence = text.find('`') == std::string::npos ? "`" : "`` ";
    const std::string close = fence == "`" ? "`" : " ``";
    return fence + md_cell(text) + close;
}

}  // namespace

std::string report_subtitle(const ReportContext& report) {
    std::string s = std::to_string(report.runs.size()) + (report.runs.size() == 1 ? " run" : " runs");
    if (!report.budget_text.empty()) s += ", " + report.budget_text;
    return s;
}

std::string markdown_report(const ReportContext& report) {
    const ComparisonTable& t = report.table;
    std::ostringstream o;
    o << "# lrnn compare: " << report.name << "\n\n"
      << report_subtitle(report) << ". Config rows show only the keys that differ; the best value of each "
      << "result row is in **bold** (among finished runs).\n\n";
    o << "| |";
    for (const auto& c : t.columns) o << " " << md_code(c) << " |";
    o << "\n|---|";
    for (std::size_t i = 0; i < t.columns.size(); ++i) o << "---:|";
    o << "\n";
    for (const TableRow& row : t.rows) {
        o << "| " << md_cell(row.label) << " |";
        for (std::size_t i = 0; i < row.cells.size(); ++i) {
            if (row.kind == RowKind::Config) o << " " << md_code(row.cells[i]) << " |";
            else if (row.best[i]) o << " **" << md_cell(row.cells[i]) << "** |";
            else o << " " << md_cell(row.cells[i]) << " |";
        }
        o << "\n";
    }
    for (const std::string& note : t.notes) o << "\nNote: " << md_cell(note) << "\n";
    bool any_problem = false;
    for (const RunRecord& r : report.runs) any_problem = any_problem || r.status != RunStatus::Ok;
    if (any_problem) {
        o << "\n## Runs that did not finish\n\n";
        for (const RunRecord& r : report.runs) {
            if (r.status == RunStatus::Ok) continue;
            o << "- " << md_code(r.name) << " (" << to_string(r.status) << "): " << md_cell(r.error);
            if (!r.log_path.empty()) o << " (log: " << md_code(r.log_path) << ")";
            o << "\n";
        }
    }
    o << "\n## Loss curves\n\n";
    for (const NamedChart& c : report.charts) o << "![" << c.chart.title << "](" << c.file << ")\n\n";
    o << "Runs: ";
    for (std::size_t i = 0; i < report.runs.size(); ++i)
        o << (i ? ", " : "") << md_code(report.runs[i].name) << " (" << report.runs[i].source << ")";
    o << ".\n";
    return o.str();
}

}  // namespace lrnn
