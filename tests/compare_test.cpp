// lrnn compare, in process: sweep parsing and naming, reading runs, the table, the SVG
// charts, reuse decisions, and whole compares of tiny runs whose reports are checked number
// by number against the runs' own files (the training itself runs as child `lrnn train`s).

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "cli_util.hpp"
#include "error_of.hpp"
#include "compare/compare.hpp"
#include "compare/plan.hpp"
#include "compare/reuse.hpp"
#include "compare/run_json.hpp"
#include "compare/run_naming.hpp"
#include "compare/run_reader.hpp"
#include "compare/svg_chart.hpp"
#include "compare/sweep.hpp"
#include "compare/table.hpp"
#include "core/error.hpp"
#include "io/run_directory.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;

// The UserError message of `f`, or "" if it did not throw one.
using test::error_of;

// Runs python3 on a script file with arguments; returns (exit code, its output).
std::pair<int, std::string> run_python(const fs::path& script, const std::string& args) {
    const fs::path out = script.string() + ".out";
    const std::string cmd = "python3 " + script.string() + " " + args + " >" + out.string() + " 2>&1";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, test::read_text(out)};
}

using test::TempDir;

// Parses XML files with python's xml.etree (a real parser: any malformed byte fails) and
// prints, per file, the number of plotted lines and their data-run names.
constexpr const char* kXmlCheck = R"py(
import sys, xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    lines = [e for e in root.iter() if e.tag.split('}')[-1] == 'polyline' and e.get('class') == 'series']
    print(path.split('/')[-1], len(lines), '|'.join(e.get('data-run') for e in lines))
)py";

// ---------------------------------------------------------------- flat JSON

TEST(CompareFlatJson, ReadsWhatTheTrainerWrites) {
    const auto o = parse_flat_json_object(
        R"({"run_dir": "a \"b\"\n\u00e9", "steps": 20, "loss": 2.7487443789610095, "x": null, "ok": true, "e": -1.5e-3})",
        "summary.json");
    EXPECT_EQ(o.at("run_dir").get<std::string>(), "a \"b\"\n\xC3\xA9");
    EXPECT_EQ(o.at("steps").get<double>(), 20);
    EXPECT_EQ(o.at("loss").get<double>(), 2.7487443789610095);  // exact: strtod of the shortest form
    EXPECT_TRUE(o.at("x").is_null());
    EXPECT_TRUE(o.at("ok").is_boolean());
    EXPECT_EQ(o.at("e").get<double>(), -1.5e-3);
    EXPECT_FALSE(json_number_field(o, "x", "w").has_value()) << "null (a non-finite number) is absent";
    EXPECT_FALSE(json_number_field(o, "missing", "w").has_value());
    EXPECT_NE(error_of([&] { (void)json_number_field(o, "run_dir", "summary.json"); }).find("not a number"),
              std::string::npos);
}

TEST(CompareFlatJson, RefusesMalformedInputNamingTheFile) {
    for (const char* bad : {"", "{", R"({"a": 1,})", R"({"a": [1]})", R"({"a": {"b": 1}})", R"({"a": 1} x)",
                            R"({"a": 01x})", R"({"a": "\q"})", R"({a: 1})", R"({"a": 1.})"}) {
        const std::string e = error_of([&] { (void)parse_flat_json_object(bad, "f.json:3"); });
        EXPECT_NE(e.find("f.json:3: malformed JSON"), std::string::npos) << bad << " -> " << e;
    }
}

// ---------------------------------------------------------------- sweeps and names

TEST(CompareSweep, ParsesAndExpandsTheCrossProductInOrder) {
    const SweepAxis a = parse_sweep("model.n_embd=64,128");
    EXPECT_EQ(a.key, "model.n_embd");
    EXPECT_EQ(a.values, (std::vector<std::string>{"64", "128"}));
    const SweepAxis b = parse_sweep("train.lr=1e-3,3e-3,0.01");
    const auto variants = expand_sweeps({a, b});
    ASSERT_EQ(variants.size(), 6u);
    // The first --sweep varies slowest.
    EXPECT_EQ(variants[0], (SweepVariant{{"model.n_embd", "64"}, {"train.lr", "1e-3"}}));
    EXPECT_EQ(variants[2], (SweepVariant{{"model.n_embd", "64"}, {"train.lr", "0.01"}}));
    EXPECT_EQ(variants[3], (SweepVariant{{"model.n_embd", "128"}, {"train.lr", "1e-3"}}));
    EXPECT_EQ(expand_sweeps({}).size(), 1u) << "no sweep: the config itself, once";
    EXPECT_NE(error_of([&] { expand_sweeps({a, parse_sweep("model.n_embd=32")}); }).find("swept twice"), std::string::npos);
}

TEST(CompareSweep, BadSyntaxAndUnknownKeysAreClearErrors) {
    EXPECT_NE(error_of([] { parse_sweep("train.lr"); }).find("expected key=v1,v2"), std::string::npos);
    EXPECT_NE(error_of([] { parse_sweep("=1,2"); }).find("expected key=v1,v2"), std::string::npos);
    EXPECT_NE(error_of([] { parse_sweep("train.lr="); }).find("no values"), std::string::npos);
    EXPECT_NE(error_of([] { parse_sweep("train.lr=1e-3,,2e-3"); }).find("value 2 is empty"), std::string::npos);
    EXPECT_NE(error_of([] { parse_sweep("train.lr=1e-3,"); }).find("value 2 is empty"), std::string::npos);
    EXPECT_NE(error_of([] { parse_sweep("train.lr=1e-3,0.001"); }).find("'0.001' is given twice"), std::string::npos)
        << "1e-3 and 0.001 are the same run";
    const std::string unknown = error_of([] { parse_sweep("train.lrr=1,2"); });
    EXPECT_NE(unknown.find("unknown key 'train.lrr'"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("did you mean 'train.lr'?"), std::string::npos) << unknown;
    EXPECT_NE(error_of([] { parse_sweep("run.name=a,b"); }).find("names and places each run itself"), std::string::npos);
}

TEST(CompareNaming, VariantDirectoriesAreSafeReadableAndUnique) {
    const std::vector<SweepAxis> axes = {parse_sweep("model.n_embd=64,128"), parse_sweep("train.lr=1e-3,3e-3")};
    const auto labels = sweep_labels(axes);
    EXPECT_EQ(labels, (std::vector<std::string>{"n_embd", "lr"}));
    EXPECT_EQ(variant_name("quickstart", labels, {{"model.n_embd", "64"}, {"train.lr", "1e-3"}}),
              "quickstart__n_embd=64__lr=0.001");
    // Two keys with the same last part: spelt out in full.
    EXPECT_EQ(sweep_labels({parse_sweep("run.seed=1,2"), parse_sweep("generate.seed=1,2")}),
              (std::vector<std::string>{"run.seed", "generate.seed"}));
    // Strings: unquoted, unsafe characters replaced, never a path separator.
    EXPECT_EQ(variant_name("q", {"prompt"}, {{"generate.prompt", "a/b c"}}), "q__prompt=a_b_c");
    EXPECT_EQ(safe_name(".hidden"), "_hidden");
    EXPECT_EQ(safe_name(""), "_");
    EXPECT_EQ(safe_name("../../etc"), "_._.._etc");
    const std::string long_a = safe_name(std::string(300, 'a') + "x"), long_b = safe_name(std::string(300, 'a') + "y");
    EXPECT_EQ(long_a.size(), kMaxRunNameLength);
    EXPECT_NE(long_a, long_b) << "long names end in a hash of the full name";
    EXPECT_EQ(unique_names({"x", "y", "x", "x-2", "x"}), (std::vector<std::string>{"x", "y", "x-3", "x-2", "x-4"}));
    EXPECT_EQ(default_compare_name({"configs/quickstart.yaml", "b.yaml", "runs/old/"}), "quickstart_vs_b_vs_old");
    EXPECT_NE(error_of([] { check_compare_name("a/b"); }).find("--name"), std::string::npos);
    EXPECT_NE(error_of([] { check_compare_name(".."); }).find("--name"), std::string::npos);
    EXPECT_EQ(error_of([] { check_compare_name("lr-sweep_2"); }), "");
}

// ---------------------------------------------------------------- reading runs

TEST(CompareRunReader, MetricsRowsAndAKilledWritersLastLine) {
    const std::string text =
        "{\"step\": 1, \"loss\": 4.5, \"elapsed_s\": 0.5}\n"
        "{\"step\": 2, \"loss\": null, \"elapsed_s\": 1.0, \"val_loss\": 3.25, \"val_bpc\": 4.75}\n"
        "{\"step\": 3, \"lo";  // cut short: dropped, as resume drops it
    const auto rows = parse_metrics(text, "m.jsonl");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].loss, 4.5);
    EXPECT_FALSE(rows[1].loss.has_value()) << "a skipped step logs null";
    EXPECT_EQ(rows[1].val_bpc, 4.75);
    const std::string e = error_of([] { parse_metrics("{\"step\": 1}\n{\"loss\": 2}\n", "m.jsonl"); });
    EXPECT_NE(e.find("m.jsonl:2"), std::string::npos) << e;
    EXPECT_NE(e.find("no \"step\""), std::string::npos) << e;

    // The numbers: the summary where it has them, the best row's bpc and time from the metrics.
    RunFiles files;
    files.metrics = parse_metrics(
        "{\"step\": 3, \"loss\": 3.5, \"elapsed_s\": 1.5, \"val_loss\": 3.0, \"val_bpc\": 4.0}\n"
        "{\"step\": 6, \"loss\": 2.5, \"elapsed_s\": 3.5, \"val_loss\": 3.1, \"val_bpc\": 4.1}\n",
        "m");
    const RunNumbers unfinished = run_numbers(files);
    EXPECT_EQ(unfinished.best_val_loss, 3.0);
    EXPECT_EQ(unfinished.best_step, 3.0);
    EXPECT_EQ(unfinished.best_val_bpc, 4.0);
    EXPECT_EQ(unfinished.best_elapsed_s, 1.5);
    EXPECT_EQ(unfinished.final_train_loss, 2.5);
    EXPECT_FALSE(unfinished.parameters.has_value());
    files.summary = parse_flat_json_object(
        R"({"parameters": 1234, "steps": 6, "tokens_per_s": 99.5, "wall_s": 3.5, "best_val_loss": 3.0, "best_step": 3, "skipped_steps": 0})",
        "s");
    const RunNumbers finished = run_numbers(files);
    EXPECT_EQ(finished.parameters, 1234);
    EXPECT_EQ(finished.tokens_per_s, 99.5);
    EXPECT_EQ(finished.best_val_bpc, 4.0);
}

// Numbers no run writes are refused by name: 1e400 reads as infinity, a negative loss would
// be "best", a step of 1e300 does not fit an integer.
TEST(CompareRunReader, NumbersOutOfRangeAreRefusedNamingTheKey) {
    const auto metrics_error = [](const std::string& row) {
        return error_of([&] { parse_metrics(row + "\n", "m.jsonl"); });
    };
    EXPECT_NE(metrics_error(R"({"step": 1e300, "loss": 2})").find("m.jsonl:1: \"step\" is 1e+300, expected a whole number"),
              std::string::npos) << metrics_error(R"({"step": 1e300, "loss": 2})");
    EXPECT_NE(metrics_error(R"({"step": 1.5, "loss": 2})").find("whole number"), std::string::npos);
    EXPECT_NE(metrics_error(R"({"step": 1, "val_loss": -1e300})").find("\"val_loss\" is -1e+300, expected a finite number >= 0"),
              std::string::npos) << metrics_error(R"({"step": 1, "val_loss": -1e300})");
    RunFiles files;
    // 1e400 does not fit a double: refused while reading the file, naming the key.
    const std::string e = error_of([&] {
        files.summary = parse_flat_json_object(R"({"tokens_per_s": 1e400})", "summary.json");
        (void)run_numbers(files);
    });
    EXPECT_NE(e.find("\"tokens_per_s\" is out of range"), std::string::npos) << e;
}

TEST(CompareRunReader, ADirectoryWithoutMetricsIsRefused) {
    TempDir dir("nometrics");
    const std::string e = error_of([&] { (void)read_run_files(dir.path().string()); });
    EXPECT_NE(e.find("no metrics.jsonl"), std::string::npos) << e;
    CompareOptions options;
    options.arguments = {dir.path().string()};
    options.root = (dir.path() / "compare").string();
    EXPECT_NE(error_of([&] { (void)plan_compare(options); }).find("no metrics.jsonl"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir.path() / "compare")) << "bad input: nothing written";
}

// ---------------------------------------------------------------- the table

RunRecord record(const std::string& name, RunStatus status, const std::string& lr, std::optional<double> loss,
                 std::optional<double> tokens_per_s) {
    RunRecord r;
    r.name = name;
    r.status = status;
    r.config = {{"train.lr", lr}, {"model.n_embd", "16"}, {"run.name", name}, {"data.tokenizer", "char"},
                {"data.path", "/data/corpus.txt"}};
    r.numbers.best_val_loss = loss;
    r.numbers.tokens_per_s = tokens_per_s;
    r.numbers.parameters = 3000;
    return r;
}

const TableRow& row_of(const ComparisonTable& t, const std::string& key) {
    for (const TableRow& r : t.rows)
        if (r.key == key) return r;
    throw std::runtime_error("no row " + key);
}

TEST(CompareTable, OnlyDifferingKeysAndTheBestOfEachResultRowMarked) {
    const std::vector<RunRecord> runs = {record("a", RunStatus::Ok, "0.001", 2.5, 1000),
                                         record("b", RunStatus::Ok, "0.003", 2.25, 1500),
                                         record("c", RunStatus::Ok, "0.01", 2.25, 900),
                                         record("d", RunStatus::Failed, "0.03", 1.0, 5000)};
    const ComparisonTable t = build_table(runs);
    EXPECT_EQ(t.columns, (std::vector<std::string>{"a", "b", "c", "d"}));
    // model.n_embd is the same everywhere and run.name differs by construction: neither shown.
    EXPECT_EQ(t.differing_keys, (std::vector<std::string>{"train.lr"}));
    EXPECT_EQ(row_of(t, "train.lr").cells, (std::vector<std::string>{"0.001", "0.003", "0.01", "0.03"}));
    EXPECT_EQ(row_of(t, "status").cells, (std::vector<std::string>{"ok", "ok", "ok", "failed"}));
    // Lower is better, ties both marked, a failed run never "best" even with a better number.
    EXPECT_EQ(row_of(t, "best_val_loss").best, (std::vector<bool>{false, true, true, false}));
    EXPECT_EQ(row_of(t, "tokens_per_s").best, (std::vector<bool>{false, true, false, false}));
    EXPECT_EQ(row_of(t, "parameters").best, (std::vector<bool>{false, false, false, false})) << "not a score";
    EXPECT_EQ(row_of(t, "best_val_loss").cells[0], "2.5000");
    EXPECT_EQ(row_of(t, "wall_s").cells[0], "-") << "a number the run does not have";

    const std::string text = render_text_table(t);
    EXPECT_NE(text.find("2.2500 *"), std::string::npos) << text;
    EXPECT_NE(text.find("1,500 *"), std::string::npos) << text;
    EXPECT_EQ(text.find("1.0000 *"), std::string::npos) << text;

    EXPECT_EQ(format_result("parameters", 1234567), "1,234,567");
    EXPECT_EQ(format_result("tokens_per_s", 7800.353644496066), "7,800");
    EXPECT_EQ(format_result("wall_s", 2.625657461), "2.63");
    EXPECT_EQ(format_result("best_step", 300), "300");
    EXPECT_EQ(format_result("best_val_bpc", 3.9345708156954387), "3.9346");
}

TEST(CompareTable, LossesCompeteOnlyBetweenRunsWithTheSameTokens) {
    std::vector<RunRecord> runs = {record("char", RunStatus::Ok, "0.001", 1.5, 1000),
                                   record("word", RunStatus::Ok, "0.001", 4.0, 1000)};
    runs[0].config["data.tokenizer"] = "char";
    runs[1].config["data.tokenizer"] = "word";
    runs[0].numbers.best_val_bpc = 2.3;
    runs[1].numbers.best_val_bpc = 2.1;
    const ComparisonTable t = build_table(runs);
    EXPECT_EQ(row_of(t, "best_val_loss").best, (std::vector<bool>{false, false})) << "nats per char vs per word";
    EXPECT_EQ(row_of(t, "tokens_per_s").best, (std::vector<bool>{false, false})) << "chars/s vs words/s";
    EXPECT_EQ(row_of(t, "best_val_bpc").best, (std::vector<bool>{false, true}));
    runs[1].config["data.tokenizer"] = "char";
    EXPECT_EQ(row_of(build_table(runs), "best_val_loss").best, (std::vector<bool>{true, false}));
    // A run whose config is unknown (no config.yaml) cannot be said to share the tokens.
    runs[1].config.erase("data.tokenizer");
    runs[1].config.erase("data.path");
    EXPECT_EQ(row_of(build_table(runs), "best_val_loss").best, (std::vector<bool>{false, false}));
    EXPECT_EQ(row_of(build_table(runs), "best_val_bpc").best, (std::vector<bool>{false, true}));
}

// A prompt of "\n" or an escape sequence in a swept value must not break or colour the table.
TEST(CompareTable, ControlCharactersAreShownNotActedOn) {
    std::vector<RunRecord> runs = {record("a", RunStatus::Ok, "0.001", 2.5, 1000),
                                   record("b\x1b[31m", RunStatus::Ok, "0.001", 2.0, 1000)};
    runs[0].config["generate.prompt"] = "\n";
    runs[1].config["generate.prompt"] = "ROMEO:\t";
    const std::string text = render_text_table(build_table(runs));
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_NE(text.find("b\\x1b[31m"), std::string::npos) << text;
    EXPECT_NE(text.find("ROMEO:\\t"), std::string::npos) << text;
    EXPECT_NE(text.find("\\n"), std::string::npos) << text;
}

TEST(CompareTable, OneRunMarksNothing) {
    const ComparisonTable t = build_table({record("a", RunStatus::Ok, "0.001", 2.5, 1000)});
    for (const TableRow& r : t.rows) EXPECT_EQ(r.best, std::vector<bool>{false}) << r.key;
    EXPECT_TRUE(t.differing_keys.empty());
}

// ---------------------------------------------------------------- SVG

TEST(CompareSvg, NiceTicksCoverTheRangeInRoundSteps) {
    const auto t = nice_ticks(1.37, 4.21, 6);
    EXPECT_EQ(t, (std::vector<double>{1, 2, 3, 4, 5}));
    const auto small = nice_ticks(1.37, 2.21, 6);
    ASSERT_GE(small.size(), 4u);
    EXPECT_LE(small.front(), 1.37);
    EXPECT_GE(small.back(), 2.21);
    EXPECT_NEAR(small[1] - small[0], 0.2, 1e-12);
    const auto s = nice_ticks(0, 300, 7);
    EXPECT_EQ(s.front(), 0);
    EXPECT_EQ(s.back(), 300);
    EXPECT_NEAR(s[1] - s[0], 50, 1e-9);
}

TEST(CompareSvg, WellFormedWithOneLinePerSeriesAndEscapedNames) {
    TempDir dir("svg");
    LineChart chart;
    chart.id = "t";
    chart.title = "Loss <by> step & more";
    chart.x_label = "step";
    chart.y_label = "loss";
    chart.series.push_back({"run \"a\" <1>", "#4e79a7", "", false, {{0, 4.2}, {10, 3.1}, {20, 2.5}}});
    chart.series.push_back({"b&c", "#f28e2b", "8 4", true, {{5, 3.9}}});  // one point: still drawn
    std::ofstream(dir.path() / "c.svg") << render_svg(chart, true);
    std::ofstream(dir.path() / "check.py") << kXmlCheck;
    const auto [code, out] = run_python(dir.path() / "check.py", (dir.path() / "c.svg").string());
    ASSERT_EQ(code, 0) << out;
    EXPECT_EQ(out, "c.svg 2 run \"a\" <1>|b&c\n");
    const std::string svg = render_svg(chart, true);
    EXPECT_NE(svg.find("<circle class=\"marker\""), std::string::npos) << "a single point is marked";
    EXPECT_NE(svg.find(">step</text>"), std::string::npos) << "labelled axes";
    EXPECT_NE(svg.find(">20</text>"), std::string::npos) << "x ticks";
    EXPECT_EQ(svg.find("<script"), std::string::npos);
    EXPECT_EQ(svg.find("y axis cut"), std::string::npos);
    // A diverging series does not stretch the axis beyond the cap, and the chart says so.
    chart.series.push_back({"diverged", "#e15759", "", false, {{0, 4.0}, {10, 900.0}}});
    chart.y_cap = 6;
    const std::string capped = render_svg(chart, true);
    EXPECT_NE(capped.find("y axis cut at 6"), std::string::npos) << capped;
    EXPECT_EQ(capped.find(">900</text>"), std::string::npos) << "no tick up there";
    EXPECT_EQ(svg.find("http://w"), svg.find("http://www.w3.org/2000/svg")) << "no external references";
}

// ---------------------------------------------------------------- reuse

TEST(CompareReuse, ConfigDifferenceIgnoresTheRunsIdentity) {
    TrainConfig a;
    a.data.path = "corpus.txt";
    TrainConfig b = a;
    b.run.name = "other";
    b.run.dir = "elsewhere";
    b.data.path = (fs::current_path() / "corpus.txt").string();  // relative and absolute: the same file
    EXPECT_EQ(config_difference(a, b), "");
    b.train.lr = 0.01;
    EXPECT_EQ(config_difference(a, b), "train.lr 0.002 -> 0.01");
    TrainConfig auto_sized = a, resolved = a;
    auto_sized.model.auto_size = resolved.model.auto_size = true;
    resolved.model.shape.n_embd = 96;  // what model.auto chose: not a change
    EXPECT_EQ(config_difference(resolved, auto_sized), "");
}

// ---------------------------------------------------------------- whole compares

// A tiny corpus and config: a compare of a few variants trains in about a second.
class CompareRun : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        test::write_corpus_slice(dir_, 6000);
        config_ = (dir_ / "tiny.yaml").string();
        std::ofstream(config_) << "data: {path: corpus.txt}\n"
                               << "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, n_mem_slots: 2, decay_lora_rank: 2}\n"
                               << "train: {max_steps: 6, batch_chunks: 2, eval_every: 3, eval_tokens: 256, log_every: 1,"
                               << " lr: 0.003, min_lr: 0.0003}\n"
                               << "generate: {tokens: 20, seed: 1}\n";
        std::ofstream(dir_ / "check.py") << kXmlCheck;
    }

    CompareOptions options(std::vector<std::string> sweeps) const {
        CompareOptions o;
        o.arguments = {config_};
        o.sweeps = std::move(sweeps);
        o.steps = 6;
        o.name = "t";
        o.root = (dir_ / "compare").string();
        o.train_program = LRNN_BINARY;
        return o;
    }

    CompareResult compare(const CompareOptions& o) {
        std::ostringstream table, progress;
        CompareResult r = run_compare(o, table, progress, false);
        table_ = table.str();
        progress_ = progress.str();
        return r;
    }

    // A stand-in for `lrnn` that ends its own process in `how` (a shell command) when its
    // arguments contain `match`, and otherwise runs the real binary.
    std::string wrapper(const std::string& match, const std::string& how) const {
        const fs::path path = dir_ / "lrnn-wrapper.sh";
        std::ofstream(path) << "#!/bin/sh\ncase \"$*\" in *" << match << "*) " << how << " ;; esac\nexec "
                            << LRNN_BINARY << " \"$@\"\n";
        fs::permissions(path, fs::perms::owner_all);
        return path.string();
    }

    test::TempDir temp_;
    fs::path dir_;
    std::string config_;
    std::string table_, progress_;
};

// Checks every number of results.json, report.md and report.html against the runs' own
// metrics.jsonl and summary.json, read independently by python's json module; and that the
// HTML and SVG files parse as XML with one line per run.
constexpr const char* kReportCheck = R"py(
import json, os, sys, xml.etree.ElementTree as ET
out = sys.argv[1]
res = json.load(open(os.path.join(out, 'results.json')))
names = [r['name'] for r in res['runs']]
labels = {'parameters': 'parameters', 'tokens_per_s': 'tokens/s', 'wall_s': 'wall time (s)',
          'final_train_loss': 'final train loss', 'best_val_loss': 'best val loss', 'best_val_bpc': 'best val bpc',
          'best_step': 'best at step', 'best_elapsed_s': 'best at (s)'}
def fmt(key, v):
    if key in ('parameters', 'tokens_per_s'): return f'{v:,.0f}'
    if key in ('wall_s', 'best_elapsed_s'): return f'{v:.2f}'
    if key == 'best_step': return f'{v:.0f}'
    return f'{v:.4f}'
expected = {}   # run -> key -> number
lines = {}      # run -> (train points, val points)
for r in res['runs']:
    assert r['status'] == 'ok', r
    d = r['run_dir']
    s = json.load(open(os.path.join(d, 'summary.json')))
    rows = [json.loads(l) for l in open(os.path.join(d, 'metrics.jsonl'))]
    val = [x for x in rows if 'val_loss' in x]
    best = [x for x in val if x['step'] == s['best_step']][0]
    assert s['best_val_loss'] == min(x['val_loss'] for x in val)
    e = {'parameters': s['parameters'], 'tokens_per_s': s['tokens_per_s'], 'wall_s': s['wall_s'],
         'final_train_loss': rows[-1]['loss'], 'best_val_loss': s['best_val_loss'], 'best_val_bpc': best['val_bpc'],
         'best_step': s['best_step'], 'best_elapsed_s': best['elapsed_s']}
    for k, v in e.items():
        assert r['results'][k] == v, ('results.json', r['name'], k, r['results'][k], v)
    expected[r['name']] = e
    lines[r['name']] = (len(rows), len(val))
    assert os.path.exists(os.path.join(d, 'train.log')), d
best_loss = min(e['best_val_loss'] for e in expected.values())
best_runs = sorted(n for n, e in expected.items() if e['best_val_loss'] == best_loss)
assert sorted(res['best']['best_val_loss']) == best_runs, res['best']

# report.md: the table, cell by cell
md = [l.rstrip('\n') for l in open(os.path.join(out, 'report.md')) if l.startswith('|')]
cells = lambda l: [c.strip() for c in l.strip().strip('|').split(' | ')]
header = [c.strip('`') for c in cells(md[0])[1:]]
assert header == names, (header, names)
md_rows = {cells(l)[0]: cells(l)[1:] for l in md[2:]}
config_rows = [k for k in md_rows if k not in labels.values()]
assert config_rows == sys.argv[2].split(','), (config_rows, sys.argv[2])
for key, label in labels.items():
    for i, n in enumerate(names):
        cell = md_rows[label][i]
        assert cell.strip('*') == fmt(key, expected[n][key]), ('report.md', label, n, cell)
        assert (cell.startswith('**') and label == 'best val loss') == (label == 'best val loss' and n in best_runs), (label, n, cell)

# report.html: well-formed, the same table, the charts inline with one line per run
html = ET.parse(os.path.join(out, 'report.html')).getroot()
tag = lambda e: e.tag.split('}')[-1]
html_rows = {}
for tr in html.iter():
    if tag(tr) == 'tr' and tr.get('data-key'):
        html_rows[tr.get('data-key')] = [(td.text, td.get('class')) for td in tr if tag(td) == 'td']
assert [k for k in html_rows if k not in labels] == sys.argv[2].split(','), html_rows.keys()
for key in labels:
    for i, n in enumerate(names):
        text, cls = html_rows[key][i]
        assert text == fmt(key, expected[n][key]), ('report.html', key, n, text)
    assert [c == 'best' for _, c in html_rows['best_val_loss']] == [n in best_runs for n in names]
inline = [e for e in html.iter() if tag(e) == 'polyline' and e.get('class') == 'series']
assert len(inline) == 4 * len(names), len(inline)
assert not [e for e in html.iter() if tag(e) == 'script'], 'no scripts'

# the standalone charts: one line per run, one point per metrics row (validation rows for val)
for f in ('train_loss_vs_step.svg', 'val_loss_vs_step.svg', 'train_loss_vs_time.svg', 'val_loss_vs_time.svg'):
    root = ET.parse(os.path.join(out, f)).getroot()
    pl = [e for e in root.iter() if tag(e) == 'polyline' and e.get('class') == 'series']
    assert [e.get('data-run') for e in pl] == names, (f, [e.get('data-run') for e in pl])
    for e in pl:
        n = len(e.get('points').split())
        assert n == lines[e.get('data-run')][1 if f.startswith('val') else 0], (f, n)
    texts = [t.text for t in root.iter() if tag(t) == 'text']
    assert ('step' if 'step' in f else 'seconds') in texts and len(texts) > 8, texts
print('OK')
)py";

TEST_F(CompareRun, SweepReportsEqualTheRunsOwnNumbersAndARerunReusesThem) {
    const CompareOptions o = options({"train.lr=0.003,0.01"});
    const CompareResult r = compare(o);
    ASSERT_EQ(r.exit_code, kCompareExitOk) << progress_ << table_;
    ASSERT_EQ(r.runs.size(), 2u);
    EXPECT_EQ(r.runs[0].name, "tiny__lr=0.003");
    EXPECT_EQ(r.runs[1].name, "tiny__lr=0.01");
    const fs::path out = dir_ / "compare" / "t";
    EXPECT_EQ(r.out_dir, out.string());
    for (const auto& run : r.runs) {
        EXPECT_EQ(run.source, "trained");
        EXPECT_EQ(run.run_dir, (out / "runs" / run.name).string());
    }
    for (const char* f : {"report.md", "report.html", "results.json", "train_loss_vs_step.svg", "val_loss_vs_step.svg",
                          "train_loss_vs_time.svg", "val_loss_vs_time.svg"})
        EXPECT_TRUE(fs::exists(out / f)) << f;
    // The terminal table: one column per run, the swept key, the results, the best marked.
    EXPECT_NE(table_.find("tiny__lr=0.003"), std::string::npos) << table_;
    EXPECT_NE(table_.find("train.lr"), std::string::npos) << table_;
    EXPECT_NE(table_.find("best val bpc"), std::string::npos) << table_;
    EXPECT_NE(table_.find(" *"), std::string::npos) << table_;
    EXPECT_EQ(table_.find("model.n_embd"), std::string::npos) << "same in every run: not shown\n" << table_;
    EXPECT_NE(progress_.find("[1/2] tiny__lr=0.003"), std::string::npos) << progress_;
    EXPECT_NE(progress_.find("done: 6 steps"), std::string::npos) << progress_;

    std::ofstream(dir_ / "report_check.py") << kReportCheck;
    const auto [code, text] = run_python(dir_ / "report_check.py", out.string() + " train.lr");
    EXPECT_EQ(code, 0) << text;
    EXPECT_EQ(text, "OK\n");

    // Again: both runs are reused, nothing trains.
    const fs::path metrics = out / "runs" / "tiny__lr=0.01" / "metrics.jsonl";
    const auto before = fs::last_write_time(metrics);
    const CompareResult again = compare(o);
    EXPECT_EQ(again.exit_code, kCompareExitOk) << progress_;
    for (const auto& run : again.runs) EXPECT_EQ(run.source, "reused") << run.name;
    EXPECT_EQ(fs::last_write_time(metrics), before);
    EXPECT_NE(progress_.find("reused (finished earlier)"), std::string::npos) << progress_;

    // An unfinished run (no summary.json, a checkpoint) is resumed, not retrained.
    const fs::path first = out / "runs" / "tiny__lr=0.003";
    fs::remove(first / "summary.json");
    const CompareResult resumed = compare(o);
    EXPECT_EQ(resumed.exit_code, kCompareExitOk) << progress_;
    EXPECT_EQ(resumed.runs[0].source, "resumed");
    EXPECT_EQ(resumed.runs[1].source, "reused");
    EXPECT_TRUE(fs::exists(first / "summary.json"));
    EXPECT_NE(test::read_text(first / "train.log").find("---- lrnn compare: resuming ----"), std::string::npos);
    EXPECT_EQ(resumed.runs[0].numbers.best_val_loss, r.runs[0].numbers.best_val_loss) << "same run, same numbers";

    // A changed budget is a different run: trained again.
    CompareOptions shorter = o;
    shorter.steps = 3;
    const CompareResult changed = compare(shorter);
    EXPECT_EQ(changed.exit_code, kCompareExitOk) << progress_;
    for (const auto& run : changed.runs) EXPECT_EQ(run.source, "trained") << run.name;
    EXPECT_NE(progress_.find("config changed (train.max_steps 6 -> 3)"), std::string::npos) << progress_;
    EXPECT_EQ(changed.runs[0].numbers.steps, 3);
}

TEST_F(CompareRun, FailingVariantsAreReportedAndTheOthersStillRun) {
    // n_head=3 does not divide n_embd=16: invalid before training. ctx_len=5000 is valid but
    // longer than the corpus: `lrnn train` itself fails with exit 2. lr=0.01 runs are killed
    // (SIGKILL) by the wrapper as they start.
    CompareOptions o = options({"model.n_head=2,3", "model.ctx_len=16,5000", "train.lr=0.003,0.01"});
    o.train_program = wrapper("train.lr=0.01", "kill -KILL $$");
    const CompareResult r = compare(o);
    EXPECT_EQ(r.exit_code, kCompareExitRunsFailed) << progress_;
    ASSERT_EQ(r.runs.size(), 8u);
    auto find = [&](const std::string& name) -> const RunRecord& {
        for (const auto& run : r.runs)
            if (run.name == name) return run;
        throw std::runtime_error("no run " + name + "\n" + progress_);
    };
    const RunRecord& ok = find("tiny__n_head=2__ctx_len=16__lr=0.003");
    EXPECT_EQ(ok.status, RunStatus::Ok) << ok.error;
    EXPECT_TRUE(ok.numbers.best_val_loss.has_value());

    const RunRecord& killed = find("tiny__n_head=2__ctx_len=16__lr=0.01");
    EXPECT_EQ(killed.status, RunStatus::Failed);
    EXPECT_NE(killed.error.find("killed by signal 9"), std::string::npos) << killed.error;

    const RunRecord& too_long = find("tiny__n_head=2__ctx_len=5000__lr=0.003");
    EXPECT_EQ(too_long.status, RunStatus::Failed);
    EXPECT_NE(too_long.error.find("exit code 2"), std::string::npos) << too_long.error;
    EXPECT_NE(too_long.error.find("fewer than one chunk"), std::string::npos) << "the trainer's own message: " << too_long.error;
    ASSERT_FALSE(too_long.log_path.empty());
    EXPECT_NE(test::read_text(too_long.log_path).find("fewer than one chunk"), std::string::npos);

    const RunRecord& invalid = find("tiny__n_head=3__ctx_len=16__lr=0.003");
    EXPECT_EQ(invalid.status, RunStatus::Failed);
    EXPECT_EQ(invalid.source, "not run");
    EXPECT_NE(invalid.error.find("must be divisible by model.n_head"), std::string::npos) << invalid.error;
    EXPECT_EQ(invalid.config.at("model.n_head"), "3") << "the table still shows what the variant held";

    // The reports say so: status row, the errors, only the finished run in the charts.
    const fs::path out = dir_ / "compare" / "t";
    const std::string md = test::read_text(out / "report.md");
    EXPECT_NE(md.find("| status |"), std::string::npos) << md;
    EXPECT_NE(md.find("must be divisible by model.n_head"), std::string::npos) << md;
    EXPECT_NE(md.find("killed by signal 9"), std::string::npos) << md;
    const auto [code, text] = run_python(dir_ / "check.py", (out / "report.html").string() + " " +
                                                                 (out / "train_loss_vs_step.svg").string());
    ASSERT_EQ(code, 0) << text;
    EXPECT_NE(text.find("report.html 4 " + ok.name + "|" + ok.name), std::string::npos) << text;
    EXPECT_NE(text.find("train_loss_vs_step.svg 1 " + ok.name + "\n"), std::string::npos) << text;
    EXPECT_NE(test::read_text(out / "results.json").find("\"status\": \"failed\""), std::string::npos);
    EXPECT_NE(table_.find("failed"), std::string::npos) << table_;
}

// A variant that diverges (lr 1e30: every loss overflows after the first step) is stopped by
// the trainer (train.max_skipped_in_a_row, exit 4) and reported as failed with the trainer's
// message; the other variant is unaffected.
TEST_F(CompareRun, DivergingVariantIsReportedAsFailed) {
    CompareOptions o = options({"train.lr=0.003,1e30"});
    o.arguments.push_back("train.max_skipped_in_a_row=2");
    const CompareResult r = compare(o);
    EXPECT_EQ(r.exit_code, kCompareExitRunsFailed) << progress_;
    ASSERT_EQ(r.runs.size(), 2u);
    EXPECT_EQ(r.runs[0].status, RunStatus::Ok) << r.runs[0].error;
    EXPECT_EQ(r.runs[1].status, RunStatus::Failed);
    EXPECT_NE(r.runs[1].error.find("exit code 4"), std::string::npos) << r.runs[1].error;
    EXPECT_NE(r.runs[1].error.find("training diverged"), std::string::npos) << r.runs[1].error;
    const std::string md = test::read_text(dir_ / "compare" / "t" / "report.md");
    EXPECT_NE(md.find("training diverged"), std::string::npos) << md;
}

TEST_F(CompareRun, CtrlCStopsTheCompareAndARerunCompletesIt) {
    // The wrapper stands for a run stopped by Ctrl-C: it dies of SIGINT, as a child does
    // before the trainer's handler is in place (after it, the trainer exits 130: the same).
    CompareOptions o = options({"train.lr=0.003,0.01,0.02"});
    o.train_program = wrapper("train.lr=0.01", "kill -INT $$");
    const CompareResult r = compare(o);
    EXPECT_EQ(r.exit_code, kCompareExitInterrupted) << progress_;
    ASSERT_EQ(r.runs.size(), 3u);
    EXPECT_EQ(r.runs[0].status, RunStatus::Ok);
    EXPECT_EQ(r.runs[1].status, RunStatus::Unfinished);
    EXPECT_EQ(r.runs[2].status, RunStatus::Unfinished);
    EXPECT_EQ(r.runs[2].source, "not run") << "nothing starts after Ctrl-C";
    EXPECT_TRUE(fs::exists(dir_ / "compare" / "t" / "report.html")) << "the partial report is written";

    o.train_program = LRNN_BINARY;
    const CompareResult rerun = compare(o);
    EXPECT_EQ(rerun.exit_code, kCompareExitOk) << progress_;
    EXPECT_EQ(rerun.runs[0].source, "reused");
    EXPECT_EQ(rerun.runs[1].source, "trained");
    EXPECT_EQ(rerun.runs[2].source, "trained");
}

// compare deletes and retrains runs in its own folder; nothing else may ever be deleted.
TEST_F(CompareRun, NeverDeletesWhatItDidNotMakeOrCannotReplace) {
    const CompareOptions o = options({});
    ASSERT_EQ(compare(o).exit_code, kCompareExitOk) << progress_;
    const fs::path out = dir_ / "compare" / "t";
    const fs::path run = out / "runs" / "tiny";
    EXPECT_TRUE(fs::exists(out / ".lrnn-compare"));

    // An input run inside the compare's own folder is refused (it would be retrained in place).
    CompareOptions inside = o;
    inside.arguments = {config_, run.string(), "train.lr=0.01"};
    EXPECT_NE(error_of([&] { (void)plan_compare(inside); }).find("lies inside this compare's own folder"),
              std::string::npos);

    // A finished run that cannot be read is reported, and kept with its checkpoints.
    std::ofstream(run / "metrics.jsonl", std::ios::app) << "oops\n";
    const CompareResult damaged = compare(o);
    EXPECT_EQ(damaged.exit_code, kCompareExitRunsFailed);
    EXPECT_NE(damaged.runs[0].error.find("kept as it is"), std::string::npos) << damaged.runs[0].error;
    EXPECT_FALSE(list_checkpoints(run.string()).empty());

    // A damaged config.yaml does not get a run with results deleted either.
    const std::string config_text = test::read_text(run / "config.yaml");
    std::ofstream(run / "config.yaml", std::ios::app) << "train:\n  lr: 0.001\n";
    const CompareResult bad_config = compare(o);
    EXPECT_NE(bad_config.runs[0].error.find("unreadable config.yaml"), std::string::npos) << bad_config.runs[0].error;
    EXPECT_FALSE(list_checkpoints(run.string()).empty());
    std::ofstream(run / "config.yaml", std::ios::trunc) << config_text;

    // A config change retrains, but not a run folder holding a file lrnn did not make.
    std::ofstream(run / "notes.txt") << "mine";
    CompareOptions changed = o;
    changed.arguments = {config_, "train.lr=0.01"};
    const CompareResult foreign = compare(changed);
    EXPECT_EQ(foreign.exit_code, kCompareExitRunsFailed);
    EXPECT_NE(foreign.runs[0].error.find("holds 'notes.txt'"), std::string::npos) << foreign.runs[0].error;
    EXPECT_TRUE(fs::exists(run / "notes.txt"));

    // A folder that lrnn compare did not make is refused as a whole.
    fs::create_directories(dir_ / "compare" / "mine");
    std::ofstream(dir_ / "compare" / "mine" / "report.md") << "my notes";
    CompareOptions theirs = o;
    theirs.name = "mine";
    EXPECT_NE(error_of([&] { (void)compare(theirs); }).find("holds files that lrnn compare did not make"),
              std::string::npos);
    EXPECT_EQ(test::read_text(dir_ / "compare" / "mine" / "report.md"), "my notes");

    // A run folder is named in full: its dots are not an extension.
    fs::create_directories(dir_ / "copies");
    fs::copy(out / "runs" / "tiny", dir_ / "copies" / "lr=0.001", fs::copy_options::recursive);
    fs::remove(dir_ / "copies" / "lr=0.001" / "notes.txt");
    CompareOptions read = o;
    read.arguments = {(dir_ / "copies" / "lr=0.001").string()};
    read.steps.reset();
    read.name.clear();
    const ComparePlan plan = plan_compare(read);
    EXPECT_EQ(plan.runs[0].name, "lr=0.001");
    EXPECT_EQ(plan.name, "lr=0.001");

    // An output that cannot be written is found before anything trains.
    fs::create_directories(dir_ / "compare" / "blocked" / "report.html");
    std::ofstream(dir_ / "compare" / "blocked" / ".lrnn-compare") << "made by lrnn compare\n";
    CompareOptions blocked = o;
    blocked.name = "blocked";
    EXPECT_NE(error_of([&] { (void)compare(blocked); }).find("report.html: is a directory"), std::string::npos);
    EXPECT_TRUE(fs::is_empty(dir_ / "compare" / "blocked" / "runs")) << "nothing trained";

    CompareOptions infinite = o;
    infinite.steps.reset();
    infinite.budget_s = std::numeric_limits<double>::infinity();
    EXPECT_NE(error_of([&] { (void)plan_compare(infinite); }).find("finite positive number of seconds, got inf"),
              std::string::npos);
}

TEST_F(CompareRun, PlanAppliesOverridesToEveryConfigAndRefusesBadInput) {
    CompareOptions o = options({});
    o.arguments = {config_, "train.lr=0.01", config_};
    const ComparePlan plan = plan_compare(o);
    ASSERT_EQ(plan.runs.size(), 2u);
    EXPECT_EQ(plan.runs[0].name, "tiny");
    EXPECT_EQ(plan.runs[1].name, "tiny-2") << "the same config twice: two columns";
    for (const auto& run : plan.runs) {
        ASSERT_TRUE(run.expected.has_value()) << run.config_error;
        EXPECT_EQ(run.expected->train.lr, 0.01);
        EXPECT_EQ(run.expected->train.max_steps, 6) << "--steps";
        EXPECT_EQ(run.expected->train.threads, 0) << "all threads for each run";
        EXPECT_EQ(run.expected->run.dir, plan.runs_dir);
    }
    EXPECT_EQ(plan.budget_text, "6 steps per run");

    o.arguments = {config_, "train.lrr=0.01"};
    EXPECT_NE(error_of([&] { (void)plan_compare(o); }).find("did you mean 'train.lr'"), std::string::npos);
    // An override that makes every variant invalid is bad input (exit 2), not failed runs.
    o.arguments = {config_, "train.lr=abc"};
    EXPECT_NE(error_of([&] { (void)plan_compare(o); }).find("no variant is a valid config"), std::string::npos);
    o.arguments = {config_, "train.lr=0.01"};
    o.sweeps = {"train.lr=0.001,0.002"};
    EXPECT_NE(error_of([&] { (void)plan_compare(o); }).find("given twice"), std::string::npos);
    o.sweeps = {};
    o.arguments = {config_, "missing.yaml"};
    EXPECT_NE(error_of([&] { (void)plan_compare(o); }).find("'missing.yaml' is neither"), std::string::npos);
    o.arguments = {config_};
    o.budget_s = 10;
    EXPECT_NE(error_of([&] { (void)plan_compare(o); }).find("not both"), std::string::npos);
    o.budget_s.reset();
    o.sweeps = {"train.max_steps=3,4"};
    EXPECT_NE(error_of([&] { (void)plan_compare(o); }).find("--steps and train.max_steps"), std::string::npos);
    o.arguments = {};
    o.sweeps = {};
    EXPECT_NE(error_of([&] { (void)plan_compare(o); }).find("nothing to compare"), std::string::npos);
    EXPECT_FALSE(fs::exists(dir_ / "compare")) << "bad input: nothing written";
}

}  // namespace
}  // namespace lrnn
