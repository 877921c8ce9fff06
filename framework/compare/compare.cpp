#include "compare/compare.hpp"

#include <filesystem>
#include <ostream>

#include "compare/loss_charts.hpp"
#include "compare/plan.hpp"
#include "compare/progress_line.hpp"
#include "compare/report.hpp"
#include "compare/runner.hpp"
#include "compare/table.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace lrnn {

namespace fs = std::filesystem;

CompareResult run_compare(const CompareOptions& options, std::ostream& table_out, std::ostream& progress_out,
                          bool live) {
    const ComparePlan plan = plan_compare(options);
    std::error_code ec;
    fs::create_directories(plan.runs_dir, ec);
    if (ec) throw UserError(plan.runs_dir + ": cannot create the compare folder (" + ec.message() + ")");

    CompareResult result;
    result.out_dir = plan.out_dir;
    ProgressLine progress(progress_out, live, plan.runs.size());
    bool interrupted = false;
    for (std::size_t i = 0; i < plan.runs.size(); ++i) {
        if (interrupted) {
            // Stopped by Ctrl-C: the rest are listed, not run, so the report says what is missing.
            RunRecord skipped;
            skipped.name = plan.runs[i].name;
            skipped.source = "not run";
            skipped.status = RunStatus::Unfinished;
            skipped.error = "not started: the compare was interrupted";
            skipped.config = plan.runs[i].config;
            result.runs.push_back(std::move(skipped));
            continue;
        }
        ExecutedRun run = execute_run(plan.runs[i], options.train_program, i, progress);
        interrupted = run.interrupted;
        result.runs.push_back(std::move(run.record));
    }

    const ComparisonTable table = build_table(result.runs);
    const std::vector<NamedChart> charts = loss_charts(result.runs);
    const ReportContext report{plan.name, plan.budget_text, result.runs, table, charts};
    write_file_atomically(plan.out_dir + "/report.md", markdown_report(report));
    write_file_atomically(plan.out_dir + "/report.html", html_report(report));
    write_file_atomically(plan.out_dir + "/results.json", json_results(report));
    for (const NamedChart& c : charts) write_file_atomically(plan.out_dir + "/" + c.file, render_svg(c.chart, true));

    table_out << "\n" << render_text_table(table);
    for (const RunRecord& r : result.runs)
        if (r.status != RunStatus::Ok) table_out << r.name << ": " << to_string(r.status) << ": " << r.error << "\n";
    table_out << "\nreport: " << plan.out_dir << "/report.html (also report.md, results.json, *.svg)\n" << std::flush;

    bool all_ok = true;
    for (const RunRecord& r : result.runs) all_ok = all_ok && r.status == RunStatus::Ok;
    result.exit_code = interrupted ? kCompareExitInterrupted : all_ok ? kCompareExitOk : kCompareExitRunsFailed;
    return result;
}

}  // namespace lrnn
