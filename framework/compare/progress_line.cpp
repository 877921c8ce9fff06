#include "compare/progress_line.hpp"

#include <cstdio>
#include <ostream>

namespace lrnn {

ProgressLine::ProgressLine(std::ostream& out, bool live, std::size_t total_runs)
    : out_(out), live_(live), total_(total_runs) {}

void ProgressLine::start(std::size_t index, const std::string& name, const std::string& what) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329) on "[" + string.
    prefix_.assign(1, '[');
    prefix_.append(std::to_string(index + 1)).append("/").append(std::to_string(total_)).append("] ").append(name);
    status_ = what;
    partial_.clear();
    if (live_) draw();
    else out_ << prefix_ << "  " << status_ << "\n" << std::flush;
}

void ProgressLine::child_output(std::string_view text) {
    partial_.append(text);
    std::size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
        const std::string line = partial_.substr(0, nl);
        partial_.erase(0, nl + 1);
        // The trainer's plain progress line: "epoch 1 | step 20/300 | loss 3.4014 | ... | 00:03 elapsed | ..."
        const auto at = line.find("| step ");
        if (at == std::string::npos) continue;
        long long step = 0, total = 0;
        double loss = 0;
        char elapsed[16] = "";
        if (std::sscanf(line.c_str() + at, "| step %lld/%lld | loss %lf", &step, &total, &loss) != 3) continue;
        const auto el = line.find(" elapsed");
        const auto bar = line.rfind("| ", el);
        if (el != std::string::npos && bar != std::string::npos && el - bar - 2 < sizeof elapsed)
            line.copy(elapsed, el - bar - 2, bar + 2);
        char buf[128];
        std::snprintf(buf, sizeof buf, "step %lld/%lld  loss %.4f  %s", step, total, loss, elapsed);
        status_ = buf;
        if (live_) draw();
    }
}

void ProgressLine::draw() { out_ << "\r\033[K" << prefix_ << "  " << status_ << std::flush; }

void ProgressLine::finish(const std::string& text) {
    if (live_) out_ << "\r\033[K";
    out_ << prefix_ << "  " << text << "\n" << std::flush;
}

}  // namespace lrnn
