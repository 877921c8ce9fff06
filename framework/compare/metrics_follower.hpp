#pragma once
// Following a run's metrics.jsonl while its trainer appends to it: compare's live progress
// comes from these rows, the trainer's structured output, not from its human progress text.

#include <cstdint>
#include <optional>
#include <string>

#include "compare/run_record.hpp"

namespace lrnn {

class MetricsFollower {
public:
    explicit MetricsFollower(std::string path) : path_(std::move(path)) {}

    // Reads what was appended since the last call and returns the newest complete row in it,
    // or nothing (no new complete line yet, or no file yet). A line without its newline waits
    // for the next call; a line that does not parse is skipped (progress is only a display:
    // reading the finished run reports it). A file that shrank (a resume drops the rows after
    // its checkpoint) is read again from its start.
    std::optional<MetricsRow> newest_row();

private:
    std::string path_;
    std::uint64_t offset_ = 0;  // bytes of the file consumed so far
    std::string partial_;       // the bytes after the last newline read
};

}  // namespace lrnn
