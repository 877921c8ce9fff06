#pragma once
// The three reports of a comparison, all from the same table and records:
//   report.md     the table (best values in bold), failures, links to the charts
//   report.html   self-contained page: styled table, the charts inline as SVG, samples
//   results.json  the table's numbers, exactly as the runs' files hold them, for scripts

#include <string>
#include <vector>

#include "compare/loss_charts.hpp"
#include "compare/run_record.hpp"
#include "compare/table.hpp"

namespace lrnn {

struct ReportContext {
    const std::string& name;         // the compare's NAME
    const std::string& budget_text;  // "6 steps per run", "" = as each config says
    const std::vector<RunRecord>& runs;
    const ComparisonTable& table;
    const std::vector<NamedChart>& charts;
};

std::string markdown_report(const ReportContext& report);
std::string html_report(const ReportContext& report);
std::string json_results(const ReportContext& report);

// "3 runs, 6 steps per run": the line under each report's title.
std::string report_subtitle(const ReportContext& report);

}  // namespace lrnn
