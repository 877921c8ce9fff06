#pragma once
// A line chart as SVG text: labelled axes with round-number ticks and a light grid, one
// polyline per series (class="series", data-run=NAME, a <title> for hovering), optional dots
// at the points, and a legend below the plot. Self-contained: no scripts, no external fonts
// or styles, so it opens the same from a file, inside report.html, or in an image viewer.

#include <string>
#include <utility>
#include <vector>

namespace lrnn {

struct ChartSeries {
    std::string name;
    std::string color;  // "#rrggbb"
    std::string dash;   // stroke-dasharray, "" = solid
    bool markers = false;  // a dot at every point (sparse series, e.g. evaluations)
    std::vector<std::pair<double, double>> points;  // (x, y), finite, in x order
};

struct LineChart {
    std::string id;  // unique within a page: prefixes the clip path's id
    std::string title;
    std::string x_label;
    std::string y_label;
    std::vector<ChartSeries> series;
    // Upper end of the y axis if lower than the data's (0 = none): a diverging run should not
    // squash every other line to the floor. Lines above it leave the plot, and a note says so.
    double y_cap = 0;
};

// standalone: starts with the XML declaration (a .svg file); otherwise ready to inline in HTML.
std::string render_svg(const LineChart& chart, bool standalone);

// Round-number ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about
// `target` of them; the first tick <= lo and the last >= hi.
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace lrnn
