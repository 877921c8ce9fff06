#include "train/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ostream>

#include "core/status_line.hpp"

namespace lrnn {

namespace {
std::string clock_text(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    const long s = long(seconds + 0.5);
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    return buf;
}
}  // namespace

ProgressDisplay::ProgressDisplay(std::ostream& out, std::int64_t total_steps, std::int64_t log_every)
    : out_(out), live_(::isatty(STDERR_FILENO) == 1), total_(total_steps), log_every_(log_every) {}

void ProgressDisplay::step(std::int64_t step, std::uint64_t epoch, double loss, double tokens_per_s,
                           double elapsed_s) {
    // Exponential moving average, bias-corrected so early values are not pulled towards 0.
    if (std::isfinite(loss)) {
        ++smoothed_count_;
        smoothed_ = 0.95 * smoothed_ + 0.05 * loss;
    }
    const double shown = smoothed_count_ ? smoothed_ / (1.0 - std::pow(0.95, double(smoothed_count_))) : loss;
    const auto now = std::chrono::steady_clock::now();
    const bool final_step = step >= total_;
    if (live_ && !final_step && now - last_draw_ < std::chrono::milliseconds(200)) return;
    if (!live_ && step % log_every_ != 0 && !final_step) return;
    last_draw_ = now;
    const double eta = step > 0 ? elapsed_s / double(step) * double(total_ - step) : NAN;
    char line[256];
    std::snprintf(line, sizeof line, "epoch %llu | step %lld/%lld | loss %.4f | %.0f tok/s | %s elapsed | ETA %s",
                  (unsigned long long)epoch + 1, (long long)step, (long long)total_, shown, tokens_per_s,
                  clock_text(elapsed_s).c_str(), clock_text(eta).c_str());
    if (live_) {
        draw_status_line(out_, line);
        line_open_ = true;
    } else {
        out_ << line << "\n" << std::flush;
    }
}

void ProgressDisplay::note_eval(std::int64_t step, double val_loss, double val_bpc, bool best) {
    clear_line();
    char line[160];
    std::snprintf(line, sizeof line, "eval at step %lld: val_loss %.4f, val_bpc %.4f%s", (long long)step, val_loss,
                  val_bpc, best ? " (best)" : "");
    out_ << line << "\n" << std::flush;
}

void ProgressDisplay::clear_line() {
    if (line_open_) out_ << "\n" << std::flush;
    line_open_ = false;
}

}  // namespace lrnn
