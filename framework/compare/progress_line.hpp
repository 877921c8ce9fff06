#pragma once
// The compare's own terminal output while runs train: one short line per run. On a terminal
// the line is redrawn in place with the child's step and loss; elsewhere (CI, files) a
// start line and a result line, so logs stay short.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace lrnn {

class ProgressLine {
public:
    ProgressLine(std::ostream& out, bool live, std::size_t total_runs);

    // A run starts: "[i/n] NAME  what".
    void start(std::size_t index, const std::string& name, const std::string& what);
    // Output of the training child; lines with "step X/Y | loss Z" update the live line.
    void child_output(std::string_view text);
    // The run's result replaces the live line: "[i/n] NAME  text".
    void finish(const std::string& text);

private:
    void draw();

    std::ostream& out_;
    bool live_;
    std::size_t total_;
    std::string prefix_;   // "[i/n] NAME"
    std::string status_;   // what is shown after the prefix
    std::string partial_;  // child output after the last newline
};

}  // namespace lrnn
