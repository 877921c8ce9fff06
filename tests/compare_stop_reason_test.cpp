// lrnn compare shows why each run stopped (summary.json's stop_reason): a "stopped" row in the
// table and the reports when a run ended before its planned length, and "stop_reason" for
// every run in results.json (null when its summary does not say).

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "compare/report.hpp"
#include "compare/run_reader.hpp"
#include "compare/runner.hpp"
#include "compare/table.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

RunRecord run(const std::string& name, std::optional<std::string> stop_reason) {
    RunRecord r;
    r.name = name;
    r.config = {{"train.lr", "0.002"}, {"data.tokenizer", "char"}, {"data.path", "/data/corpus.txt"}};
    r.numbers.best_val_loss = 2.5;
    r.stop_reason = std::move(stop_reason);
    return r;
}

const TableRow* row_of(const ComparisonTable& t, const std::string& key) {
    for (const TableRow& r : t.rows)
        if (r.key == key) return &r;
    return nullptr;
}

TEST(CompareStopReason, ShownWhenARunStoppedBeforeItsEnd) {
    const std::vector<RunRecord> runs = {run("a", "completed"), run("b", "early_stopping"), run("c", std::nullopt)};
    const ComparisonTable t = build_table(runs);
    const TableRow* stopped = row_of(t, "stopped");
    ASSERT_NE(stopped, nullptr);
    EXPECT_EQ(stopped->cells, (std::vector<std::string>{"completed", "early_stopping", "-"}));
    EXPECT_EQ(stopped->kind, RowKind::Status);
    EXPECT_EQ(stopped->best, (std::vector<bool>{false, false, false}));

    const std::string text = render_text_table(t);
    EXPECT_NE(text.find("stopped"), std::string::npos) << text;
    EXPECT_NE(text.find("early_stopping"), std::string::npos) << text;

    const std::vector<NamedChart> charts;
    const ReportContext report{"cmp", "", runs, t, charts};
    const std::string md = markdown_report(report);
    EXPECT_NE(md.find("| stopped | completed | early_stopping | - |"), std::string::npos) << md;
    const std::string html = html_report(report);
    EXPECT_NE(html.find("<tr data-key=\"stopped\"><th>stopped</th><td>completed</td><td>early_stopping</td><td>-</td>"),
              std::string::npos)
        << html;

    const Json results = parse_json(json_results(report), "results.json");
    EXPECT_EQ(results.at("runs").at(0).at("stop_reason"), "completed");
    EXPECT_EQ(results.at("runs").at(1).at("stop_reason"), "early_stopping");
    EXPECT_TRUE(results.at("runs").at(2).at("stop_reason").is_null());
    EXPECT_FALSE(results.at("runs").at(1).at("results").contains("stopped")) << "results hold numbers only";
}

TEST(CompareStopReason, NoRowWhenEveryRunCompleted) {
    const std::vector<RunRecord> runs = {run("a", "completed"), run("b", "completed"), run("c", std::nullopt)};
    const ComparisonTable t = build_table(runs);
    EXPECT_EQ(row_of(t, "stopped"), nullptr);
    const std::vector<NamedChart> charts;
    const Json results = parse_json(json_results({"cmp", "", runs, t, charts}), "results.json");
    EXPECT_EQ(results.at("runs").at(0).at("stop_reason"), "completed");
}

TEST(CompareStopReason, ReadFromTheRunsSummary) {
    test::TempDir dir;
    const fs::path d = dir.path();
    test::write_text(d / "metrics.jsonl", "{\"step\": 1, \"loss\": 3.5, \"elapsed_s\": 0.1}\n");
    test::write_text(d / "summary.json", "{\"steps\": 1, \"stop_reason\": \"max_seconds\"}\n");
    EXPECT_EQ(read_run_record("r", d.string(), "read").stop_reason, std::optional<std::string>("max_seconds"));

    test::write_text(d / "summary.json", "{\"steps\": 1}\n");  // written before the field existed
    EXPECT_EQ(read_run_record("r", d.string(), "read").stop_reason, std::nullopt);

    test::write_text(d / "summary.json", "{\"steps\": 1, \"stop_reason\": 3}\n");
    try {
        (void)read_run_record("r", d.string(), "read");
        FAIL() << "a stop_reason that is not text was accepted";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("\"stop_reason\" is 3, expected text"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace lrnn
