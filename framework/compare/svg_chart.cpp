#include "compare/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "compare/xml_text.hpp"

namespace lrnn {

namespace {

// Geometry (SVG user units = CSS pixels at 100 %).
constexpr double kWidth = 600;
constexpr double kLeft = 64, kRight = 20, kTop = 44, kPlotHeight = 250, kBelowPlot = 48;
constexpr double kLegendRow = 20, kLegendPad = 10;
constexpr double kCharWidth = 6.6;  // average width of a 12 px sans-serif character, for the legend layout

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

double nice_step(double raw) {
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    const double f = raw / power;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

// Tick labels with as many decimals as the step needs, and no more ("0.5", "2", "1500").
std::string tick_label(double v, double step) {
    const int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::abs(v) < step * 1e-6 ? 0.0 : v);
    return buf;
}

struct Axis {
    std::vector<double> ticks;
    double lo = 0, hi = 1;
};

Axis make_axis(double lo, double hi, bool from_zero, int target) {
    if (from_zero) lo = std::min(lo, 0.0);
    if (!(hi > lo)) {
        // One value (or none): show a small range around it.
        const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
        hi = lo + pad;
        if (!from_zero) lo -= pad;
    }
    Axis a;
    a.ticks = nice_ticks(lo, hi, target);
    a.lo = a.ticks.front();
    a.hi = a.ticks.back();
    return a;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
    if (!(hi > lo)) hi = lo + 1;
    const double step = nice_step((hi - lo) / std::max(1, target - 1));
    const double first = std::floor(lo / step + 1e-9) * step;
    std::vector<double> ticks;
    for (int i = 0;; ++i) {
        const double t = first + i * step;
        ticks.push_back(t);
        if (t >= hi - step * 1e-9 || i > 1000) break;
    }
    if (ticks.size() < 2) ticks.push_back(first + step);
    return ticks;
}

std::string render_svg(const LineChart& chart, bool standalone) {
    // Data ranges.
    double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
    bool any = false;
    for (const auto& s : chart.series)
        for (const auto& [x, y] : s.points) {
            x_lo = std::min(x_lo, x), x_hi = std::max(x_hi, x);
            y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
            any = true;
        }
    if (!any) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
    const bool capped = chart.y_cap > 0 && y_hi > chart.y_cap && chart.y_cap > y_lo;
    if (capped) y_hi = chart.y_cap;
    const Axis xa = make_axis(x_lo, x_hi, /*from_zero=*/true, 7);
    const Axis ya = make_axis(y_lo, y_hi, /*from_zero=*/false, 6);
    const double plot_w = kWidth - kLeft - kRight;
    auto px = [&](double x) { return kLeft + (x - xa.lo) / (xa.hi - xa.lo) * plot_w; };
    auto py = [&](double y) { return kTop + kPlotHeight - (y - ya.lo) / (ya.hi - ya.lo) * kPlotHeight; };

    // Legend layout: entries left to right, wrapping to new rows.
    struct LegendEntry { double x, y; std::size_t series; };
    std::vector<LegendEntry> legend;
    const double legend_top = kTop + kPlotHeight + kBelowPlot;
    double lx = kLeft, ly = legend_top + kLegendRow / 2;
    for (std::size_t i = 0; i < chart.series.size(); ++i) {
        const double w = 28 + kCharWidth * double(chart.series[i].name.size()) + 18;
        if (lx > kLeft && lx + w > kWidth - kRight) lx = kLeft, ly += kLegendRow;
        legend.push_back({lx, ly, i});
        lx += w;
    }
    const double height = chart.series.empty() ? legend_top : ly + kLegendRow / 2 + kLegendPad;

    std::ostringstream o;
    if (standalone) o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" << num(kWidth) << "\" height=\""
      << num(height) << "\" viewBox=\"0 0 " << num(kWidth) << " " << num(height) << "\" role=\"img\" aria-label=\""
      << xml_escape(chart.title) << "\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', "
      << "Arial, sans-serif\" font-size=\"12\">\n";
    o << "<title>" << xml_escape(chart.title) << "</title>\n";
    o << "<defs><clipPath id=\"" << xml_escape(chart.id) << "-plot\"><rect x=\"" << num(kLeft) << "\" y=\""
      << num(kTop - 4) << "\" width=\"" << num(plot_w) << "\" height=\"" << num(kPlotHeight + 8) << "\"/></clipPath></defs>\n";
    o << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    o << "<text x=\"" << num(kLeft) << "\" y=\"24\" font-size=\"15\" font-weight=\"600\" fill=\"#1f2328\">"
      << xml_escape(chart.title) << "</text>\n";

    // Grid and ticks.
    o << "<g class=\"grid\" stroke=\"#e6e8eb\" stroke-width=\"1\">\n";
    for (double t : ya.ticks)
        o << "<line x1=\"" << num(kLeft) << "\" y1=\"" << num(py(t)) << "\" x2=\"" << num(kLeft + plot_w) << "\" y2=\""
          << num(py(t)) << "\"/>\n";
    for (double t : xa.ticks)
        o << "<line x1=\"" << num(px(t)) << "\" y1=\"" << num(kTop) << "\" x2=\"" << num(px(t)) << "\" y2=\""
          << num(kTop + kPlotHeight) << "\"/>\n";
    o << "</g>\n";
    const double y_step = ya.ticks.size() > 1 ? ya.ticks[1] - ya.ticks[0] : 1;
    const double x_step = xa.ticks.size() > 1 ? xa.ticks[1] - xa.ticks[0] : 1;
    o << "<g class=\"ticks\" fill=\"#57606a\" font-size=\"11\">\n";
    for (double t : ya.ticks)
        o << "<text x=\"" << num(kLeft - 8) << "\" y=\"" << num(py(t) + 4) << "\" text-anchor=\"end\">"
          << tick_label(t, y_step) << "</text>\n";
    for (double t : xa.ticks)
        o << "<text x=\"" << num(px(t)) << "\" y=\"" << num(kTop + kPlotHeight + 18) << "\" text-anchor=\"middle\">"
          << tick_label(t, x_step) << "</text>\n";
    o << "</g>\n";
    o << "<line x1=\"" << num(kLeft) << "\" y1=\"" << num(kTop + kPlotHeight) << "\" x2=\"" << num(kLeft + plot_w)
      << "\" y2=\"" << num(kTop + kPlotHeight) << "\" stroke=\"#8c959f\"/>\n";
    o << "<line x1=\"" << num(kLeft) << "\" y1=\"" << num(kTop) << "\" x2=\"" << num(kLeft) << "\" y2=\""
      << num(kTop + kPlotHeight) << "\" stroke=\"#8c959f\"/>\n";
    o << "<text class=\"axis-label\" x=\"" << num(kLeft + plot_w / 2) << "\" y=\"" << num(kTop + kPlotHeight + 38)
      << "\" text-anchor=\"middle\" fill=\"#1f2328\">" << xml_escape(chart.x_label) << "</text>\n";
    o << "<text class=\"axis-label\" transform=\"translate(16 " << num(kTop + kPlotHeight / 2)
      << ") rotate(-90)\" text-anchor=\"middle\" fill=\"#1f2328\">" << xml_escape(chart.y_label) << "</text>\n";
    if (capped)
        o << "<text x=\"" << num(kLeft + plot_w) << "\" y=\"24\" text-anchor=\"end\" font-size=\"11\" fill=\"#9a6700\">"
          << "y axis cut at " << tick_label(ya.hi, y_step) << ": higher values leave the plot</text>\n";
    if (!any)
        o << "<text x=\"" << num(kLeft + plot_w / 2) << "\" y=\"" << num(kTop + kPlotHeight / 2)
          << "\" text-anchor=\"middle\" fill=\"#8c959f\">no data</text>\n";

    // The lines.
    o << "<g clip-path=\"url(#" << xml_escape(chart.id) << "-plot)\" fill=\"none\" stroke-width=\"2\" "
      << "stroke-linejoin=\"round\" stroke-linecap=\"round\">\n";
    for (const auto& s : chart.series) {
        if (s.points.empty()) continue;
        o << "<polyline class=\"series\" data-run=\"" << xml_escape(s.name) << "\" stroke=\"" << s.color << "\"";
        if (!s.dash.empty()) o << " stroke-dasharray=\"" << s.dash << "\"";
        o << " points=\"";
        for (std::size_t i = 0; i < s.points.size(); ++i)
            o << (i ? " " : "") << num(px(s.points[i].first)) << "," << num(py(s.points[i].second));
        o << "\"><title>" << xml_escape(s.name) << "</title></polyline>\n";
        // A single point draws no line: always mark it.
        if (s.markers || s.points.size() == 1)
            for (const auto& [x, y] : s.points)
                o << "<circle class=\"marker\" cx=\"" << num(px(x)) << "\" cy=\"" << num(py(y)) << "\" r=\"3.2\" fill=\""
                  << s.color << "\" stroke=\"#ffffff\" stroke-width=\"1\"/>\n";
    }
    o << "</g>\n";

    // Legend.
    o << "<g class=\"legend\" fill=\"#1f2328\">\n";
    for (const LegendEntry& e : legend) {
        const ChartSeries& s = chart.series[e.series];
        o << "<line x1=\"" << num(e.x) << "\" y1=\"" << num(e.y) << "\" x2=\"" << num(e.x + 20) << "\" y2=\"" << num(e.y)
          << "\" stroke=\"" << s.color << "\" stroke-width=\"3\" stroke-linecap=\"round\"";
        if (!s.dash.empty()) o << " stroke-dasharray=\"" << s.dash << "\"";
        o << "/>\n<text x=\"" << num(e.x + 28) << "\" y=\"" << num(e.y + 4) << "\">" << xml_escape(s.name) << "</text>\n";
    }
    o << "</g>\n</svg>\n";
    return o.str();
}

}  // namespace lrnn
