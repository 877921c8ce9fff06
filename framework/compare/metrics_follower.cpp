#include "compare/metrics_follower.hpp"

#include <filesystem>

#include "compare/run_reader.hpp"
#include "core/error.hpp"
#include "io/byte_reader.hpp"

namespace lrnn {

std::optional<MetricsRow> MetricsFollower::newest_row() {
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path_, ec);
    if (ec) return std::nullopt;  // not created yet
    if (size < offset_) offset_ = 0, partial_.clear();
    if (size == offset_) return std::nullopt;
    const std::string added = read_file_from(path_, offset_);
    offset_ += added.size();
    partial_ += added;

    std::optional<MetricsRow> newest;
    std::size_t start = 0;
    for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
        const std::string_view line = std::string_view(partial_).substr(start, nl - start);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        try {
            newest = parse_metrics_row(line, path_);
        } catch (const UserError&) {
            // skipped: the run's record reports a damaged metrics.jsonl once the run is read
        }
    }
    partial_.erase(0, start);
    return newest;
}

}  // namespace lrnn
