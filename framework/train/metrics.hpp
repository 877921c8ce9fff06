#pragma once
// metrics.jsonl: one JSON object per line, appended and flushed line by line, so a killed run
// loses at most the line being written (which resume then drops).

#include <cstdio>
#include <string>

#include "core/json.hpp"

namespace lrnn {

class MetricsLog {
public:
    explicit MetricsLog(const std::string& path);  // appends
    ~MetricsLog();
    MetricsLog(const MetricsLog&) = delete;
    MetricsLog& operator=(const MetricsLog&) = delete;

    // One row, as one line (core/json.hpp's layout); UserError if it cannot be written.
    void write(const Json& row);

private:
    std::string path_;
    std::FILE* file_ = nullptr;
};

}  // namespace lrnn
