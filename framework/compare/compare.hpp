#pragma once
// lrnn compare: configs trained one after another under an equal budget (each as a child
// `lrnn train`), finished runs read, and the lot side by side: a table on the terminal and
// in compare/NAME/{report.md, report.html, results.json, *.svg}. docs/compare.md has the
// user's view; recipes/compare.cpp only parses flags.

#include <iosfwd>
#include <string>
#include <vector>

#include "compare/compare_options.hpp"
#include "compare/run_record.hpp"

namespace lrnn {

// Exit codes of `lrnn compare` (besides 2 = bad input, as for every recipe).
inline constexpr int kCompareExitOk = 0;           // every run finished
inline constexpr int kCompareExitRunsFailed = 4;   // the report is written; some runs failed
inline constexpr int kCompareExitInterrupted = 130;  // Ctrl-C: partial report written, rerun resumes

struct CompareResult {
    int exit_code = kCompareExitOk;
    std::string out_dir;  // compare/NAME
    std::vector<RunRecord> runs;
};

// `table_out` gets the table and the paths of the reports; `progress_out` a line per run
// (redrawn in place when `live`). UserError (exit 2) for bad input, before anything trains.
CompareResult run_compare(const CompareOptions& options, std::ostream& table_out, std::ostream& progress_out,
                          bool live);

}  // namespace lrnn
