#include "compare/report.hpp"

#include <sstream>

#include "compare/palette.hpp"
#include "compare/xml_text.hpp"

namespace lrnn {

namespace {

// Kept as well-formed XML (self-closed void elements, no named entities but XML's five) so
// that tools and tests can parse the page as they parse the SVGs.
const char* const kStyle = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 32px 28px 48px; }
header h1 { font-size: 26px; font-weight: 650; margin: 0 0 4px; letter-spacing: -0.01em; }
header h1 .name { color: #4e79a7; }
header p { margin: 0 0 24px; color: #57606a; }
section { background: #ffffff; border: 1px solid #d8dee4; border-radius: 10px; padding: 20px 24px;
  margin-bottom: 24px; box-shadow: 0 1px 2px rgba(31, 35, 40, 0.04); }
h2 { font-size: 18px; font-weight: 620; margin: 0 0 14px; }
h3 { font-size: 14px; font-weight: 620; margin: 16px 0 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; min-width: 60%; }
th, td { padding: 7px 14px; border-bottom: 1px solid #eaeef2; text-align: right; vertical-align: bottom; }
thead th { font-weight: 600; font-size: 13px; color: #1f2328; border-bottom: 2px solid #d0d7de;
  max-width: 220px; overflow-wrap: anywhere; }
thead th .swatch { display: block; height: 4px; border-radius: 2px; margin-bottom: 6px; }
tbody th { text-align: left; font-weight: 500; color: #424a53; white-space: nowrap; }
tr.group th { text-align: left; font-size: 11px; font-weight: 650; text-transform: uppercase;
  letter-spacing: 0.06em; color: #6e7781; background: #f6f8fa; padding-top: 10px; }
td.config { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
td.best { background: #dafbe1; color: #116329; font-weight: 650; }
td.best::after { content: " \2605"; font-size: 11px; }
td.status-failed { color: #cf222e; font-weight: 600; }
td.status-unfinished { color: #9a6700; font-weight: 600; }
p.note { color: #57606a; font-size: 13px; margin: 12px 0 0; }
ul.failures { margin: 0; padding-left: 20px; }
ul.failures li { margin-bottom: 6px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  background: #f6f8fa; padding: 1px 5px; border-radius: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid #eaeef2; border-radius: 8px; padding: 6px; }
figure svg { display: block; width: 100%; height: auto; }
figcaption { font-size: 12px; color: #6e7781; padding: 2px 8px 4px; }
figcaption a { color: #4e79a7; }
.samples { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 4px 18px; }
pre.sample { white-space: pre-wrap; background: #f6f8fa; border-left: 4px solid #d0d7de; border-radius: 4px;
  padding: 10px 14px; margin: 0; font-size: 13px; max-height: 220px; overflow: auto; }
footer { color: #6e7781; font-size: 13px; }
)css";

// Break long variant names at their "__" separators rather than anywhere.
std::string breakable_name(const std::string& name) {
    std::string out;
    std::size_t start = 0;
    for (;;) {
        const auto at = name.find("__", start);
        if (at == std::string::npos) break;
        out += xml_escape(name.substr(start, at - start)) + "<wbr/>";
        start = at;
        out += "__";
        start += 2;
    }
    return out + xml_escape(name.substr(start));
}

// The first `limit` bytes of a sample, not cutting a UTF-8 character in half.
std::string sample_excerpt(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end) + "\xE2\x80\xA6";
}

}  // namespace

std::string html_report(const ReportContext& report) {
    const ComparisonTable& t = report.table;
    const std::size_t n = t.columns.size();
    std::ostringstream o;
    o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>lrnn compare: "
      << xml_escape(report.name) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n<main>\n";
    o << "<header><h1>lrnn compare <span class=\"name\">" << xml_escape(report.name) << "</span></h1>\n<p>"
      << xml_escape(report_subtitle(report)) << ". Config rows show only the keys that differ; the best value of each "
      << "result row is highlighted.</p></header>\n";

    // The table.
    o << "<section>\n<h2>Results</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th></th>";
    for (std::size_t c = 0; c < n; ++c)
        o << "<th class=\"run\"><span class=\"swatch\" style=\"background:" << run_color(c) << "\"></span>"
          << breakable_name(t.columns[c]) << "</th>";
    o << "</tr></thead>\n";
    auto group = [&](const char* title) {
        o << "<tr class=\"group\"><th colspan=\"" << n + 1 << "\">" << title << "</th></tr>\n";
    };
    o << "<tbody>\n";
    RowKind current = RowKind::Status;
    bool first_row = true;
    for (const TableRow& row : t.rows) {
        if (first_row || row.kind != current) {
            if (row.kind == RowKind::Config) group("Config (keys that differ)");
            else if (row.kind == RowKind::Result) group("Results");
            current = row.kind;
            first_row = false;
        }
        o << "<tr data-key=\"" << xml_escape(row.key) << "\"><th>" << xml_escape(row.label) << "</th>";
        for (std::size_t c = 0; c < n; ++c) {
            std::string cls;
            if (row.kind == RowKind::Config) cls = "config";
            else if (row.kind == RowKind::Status && row.key == "status" && row.cells[c] != "ok") cls = "status-" + row.cells[c];
            else if (row.best[c]) cls = "best";
            o << "<td" << (cls.empty() ? "" : " class=\"" + cls + "\"") << ">" << xml_escape(row.cells[c]) << "</td>";
        }
        o << "</tr>\n";
    }
    o << "</tbody>\n</table></div>\n<p class=\"note\">Losses are in nats per token, bpc in bits per byte of "
      << "validation text. Trained runs ran one after another, each with all threads, so tokens/s and times "
      << "compare fairly on this machine.</p>\n";
    for (const std::string& note : t.notes) o << "<p class=\"note\">" << xml_escape(note) << "</p>\n";
    o << "</section>\n";

    bool any_problem = false;
    for (const RunRecord& r : report.runs) any_problem = any_problem || r.status != RunStatus::Ok;
    if (any_problem) {
        o << "<section>\n<h2>Runs that did not finish</h2>\n<ul class=\"failures\">\n";
        for (const RunRecord& r : report.runs) {
            if (r.status == RunStatus::Ok) continue;
            o << "<li><code>" << xml_escape(r.name) << "</code> (" << to_string(r.status) << "): " << xml_escape(r.error);
            if (!r.log_path.empty()) o << " <span class=\"log\">Log: <code>" << xml_escape(r.log_path) << "</code></span>";
            o << "</li>\n";
        }
        o << "</ul>\n</section>\n";
    }

    o << "<section>\n<h2>Loss curves</h2>\n<div class=\"charts\">\n";
    for (const NamedChart& c : report.charts)
        o << "<figure>\n" << render_svg(c.chart, false) << "<figcaption><a href=\"" << xml_escape(c.file) << "\">"
          << xml_escape(c.file) << "</a></figcaption>\n</figure>\n";
    o << "</div>\n</section>\n";

    bool any_sample = false;
    for (const RunRecord& r : report.runs) any_sample = any_sample || !r.sample.empty();
    if (any_sample) {
        o << "<section>\n<h2>Samples</h2>\n<div class=\"samples\">\n";
        for (std::size_t c = 0; c < report.runs.size(); ++c) {
            const RunRecord& r = report.runs[c];
            if (r.sample.empty()) continue;
            // The run's colour on the left edge ties the sample to its line and column.
            o << "<div><h3>" << xml_escape(r.name) << "</h3>\n<pre class=\"sample\" style=\"border-left-color:"
              << run_color(c) << "\">" << xml_escape(sample_excerpt(r.sample, 600)) << "</pre></div>\n";
        }
        o << "</div>\n</section>\n";
    }
    o << "<footer>Also here: <code>report.md</code>, <code>results.json</code>, the charts as <code>.svg</code> files, "
      << "and each trained run under <code>runs/</code> (config.yaml, metrics.jsonl, summary.json, train.log).</footer>\n"
      << "</main>\n</body>\n</html>\n";
    return o.str();
}

}  // namespace lrnn
