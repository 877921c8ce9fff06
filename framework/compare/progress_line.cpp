#include "compare/progress_line.hpp"

#include <cstdio>
#include <ostream>

#include "core/status_line.hpp"

namespace lrnn {

ProgressLine::ProgressLine(std::ostream& out, bool live, std::size_t total_runs)
    : out_(out), live_(live), total_(total_runs) {}

void ProgressLine::start(std::size_t index, const std::string& name, const std::string& what) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329) on "[" + string.
    prefix_.assign(1, '[');
    prefix_.append(std::to_string(index + 1)).append("/").append(std::to_string(total_)).append("] ").append(name);
    status_ = what;
    if (live_) draw();
    else out_ << prefix_ << "  " << status_ << "\n" << std::flush;
}

void ProgressLine::metrics_row(const MetricsRow& row) {
    status_ = "step " + std::to_string(row.step);
    char buf[64];
    if (row.loss) {  // a skipped step logs null
        std::snprintf(buf, sizeof buf, "  loss %.4f", *row.loss);
        status_ += buf;
    }
    if (row.elapsed_s) {
        std::snprintf(buf, sizeof buf, "  %.1f s", *row.elapsed_s);
        status_ += buf;
    }
    if (live_) draw();
}

void ProgressLine::draw() { draw_status_line(out_, prefix_ + "  " + status_); }

void ProgressLine::finish(const std::string& text) {
    if (live_) erase_status_line(out_);
    out_ << prefix_ << "  " << text << "\n" << std::flush;
}

}  // namespace lrnn
