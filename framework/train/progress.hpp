#pragma once
// What the user sees while training. On a terminal: one live line (epoch, step/total, smoothed
// loss, tokens/s, elapsed, ETA), redrawn at most a few times a second. Otherwise (CI, files):
// a plain line every log_every steps.

#include <chrono>
#include <cstdint>
#include <iosfwd>

namespace lrnn {

class ProgressDisplay {
public:
    ProgressDisplay(std::ostream& out, std::int64_t total_steps, std::int64_t log_every);

    void step(std::int64_t step, std::uint64_t epoch, double loss, double tokens_per_s, double elapsed_s);
    void note_eval(std::int64_t step, double val_loss, double val_bpc, bool best);
    // Ends the live line so that other output starts on a fresh line.
    void clear_line();

private:
    std::ostream& out_;
    bool live_;
    std::int64_t total_;
    std::int64_t log_every_;
    double smoothed_ = 0;
    std::int64_t smoothed_count_ = 0;
    bool line_open_ = false;
    std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace lrnn
