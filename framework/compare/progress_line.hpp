#pragma once
// The compare's own terminal output while runs train: one short line per run. On a terminal
// the line is redrawn in place with the run's step, loss and elapsed time, taken from the rows
// of its metrics.jsonl (never from the trainer's human output, whose wording may change);
// elsewhere (CI, files) a start line and a result line, so logs stay short.

#include <cstddef>
#include <iosfwd>
#include <string>

#include "compare/run_record.hpp"

namespace lrnn {

class ProgressLine {
public:
    ProgressLine(std::ostream& out, bool live, std::size_t total_runs);

    // A run starts: "[i/n] NAME  what".
    void start(std::size_t index, const std::string& name, const std::string& what);
    // The newest row of the run's metrics.jsonl: "[i/n] NAME  step 20  loss 3.4014  1.5 s".
    void metrics_row(const MetricsRow& row);
    // The run's result replaces the live line: "[i/n] NAME  text".
    void finish(const std::string& text);

private:
    void draw();

    std::ostream& out_;
    bool live_;
    std::size_t total_;
    std::string prefix_;  // "[i/n] NAME"
    std::string status_;  // what is shown after the prefix
};

}  // namespace lrnn
