#include "compare/compare.hpp"

#include <filesystem>
#include <memory>
#include <ostream>

#include "compare/loss_charts.hpp"
#include "compare/plan.hpp"
#include "compare/progress_line.hpp"
#include "compare/report.hpp"
#include "compare/runner.hpp"
#include "compare/table.hpp"
#include "compare/value_text.hpp"
#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/run_lock.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

// compare/NAME is the compare's own: it deletes and retrains runs there. So it is marked when
// made (a folder that holds anything without the mark is someone else's and is refused), and
// locked while a compare runs in it (a second compare would delete the runs the first trains).
class CompareFolder {
public:
    CompareFolder(const std::string& out_dir, const std::string& runs_dir) {
        const std::string mark = out_dir + "/" + kMark;
        std::error_code ec;
        if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
            throw UserError(out_dir + " exists and is not a folder; choose another --name or --dir");
        const bool has_entries = fs::is_directory(out_dir, ec) && !fs::is_empty(out_dir, ec);
        if (has_entries && !fs::exists(mark, ec))
            throw UserError(out_dir + " holds files that lrnn compare did not make (no " + kMark +
                            "); it would delete and rewrite what is there: choose another --name or --dir");
        // The mark first: a folder left with runs/ but no mark would be refused from then on.
        fs::create_directories(out_dir, ec);
        if (ec) throw UserError(out_dir + ": cannot create the compare folder (" + ec.message() + ")");
        if (!fs::exists(mark, ec)) write_file_atomically(mark, "made by lrnn compare; it may delete and retrain runs/\n");
        fs::create_directories(runs_dir, ec);
        if (ec) throw UserError(runs_dir + ": cannot create the compare folder (" + ec.message() + ")");
        lock_ = std::make_unique<RunLock>(out_dir, "is in use by another lrnn compare");
    }

    static constexpr const char* kMark = ".lrnn-compare";

private:
    std::unique_ptr<RunLock> lock_;
};

}  // namespace

CompareResult run_compare(const CompareOptions& options, std::ostream& table_out, std::ostream& progress_out,
                          bool live) {
    const ComparePlan plan = plan_compare(options);
    const CompareFolder folder(plan.out_dir, plan.runs_dir);
    // The reports are written after the runs: a report path that cannot be written (a folder
    // named report.html, say) is found now, not after hours of training. (The chart names are
    // those of loss_charts.cpp.)
    for (const char* file : {"report.md", "report.html", "results.json", "train_loss_vs_step.svg", "val_loss_vs_step.svg",
                             "train_loss_vs_time.svg", "val_loss_vs_time.svg"})
        check_can_write_atomically(plan.out_dir + "/" + file, plan.out_dir + "/" + file);

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
        if (r.status != RunStatus::Ok) table_out << terminal_text(r.name) << ": " << to_string(r.status) << ": " << terminal_text(r.error) << "\n";
    table_out << "\nreport: " << plan.out_dir << "/report.html (also report.md, results.json, *.svg)\n" << std::flush;

    bool all_ok = true;
    for (const RunRecord& r : result.runs) all_ok = all_ok && r.status == RunStatus::Ok;
    result.exit_code = interrupted ? kCompareExitInterrupted : all_ok ? kCompareExitOk : kCompareExitRunsFailed;
    return result;
}

}  // namespace lrnn
