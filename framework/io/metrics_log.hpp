#pragma once
// metrics.jsonl: one JSON object per line, appended and flushed line by line, so a killed run
// loses at most the line being written (which resume then drops).

#include <string>

#include "core/json.hpp"
#include "io/append_file.hpp"

namespace lrnn {

class MetricsLog {
public:
    explicit MetricsLog(const std::string& path) : file_(path, AppendFile::Start::Append, "metrics") {}

    // One row, as one line (core/json.hpp's layout); UserError "PATH: cannot write metrics
    // (REASON)" if it cannot be written.
    void write(const Json& row) { file_.write(json_line(row) + "\n"); }

private:
    AppendFile file_;
};

}  // namespace lrnn
