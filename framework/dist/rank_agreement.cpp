#include "dist/rank_agreement.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

namespace lrnn {

namespace {

// A rank's report: "E" + its error, or "F" + corpus hash, state hash (hex) + "\n" + config.
std::string report(const std::string& error, const StartFingerprint& f) {
    if (!error.empty()) return "E" + error;
    char hashes[64];
    std::snprintf(hashes, sizeof hashes, "F%016llx %016llx\n", (unsigned long long)f.corpus_hash,
                  (unsigned long long)f.state_hash);
    return hashes + f.config_yaml;
}

// The errors of the ranks that failed, one "rank q: message" each.
std::string failures(const std::vector<std::string>& reports) {
    std::string all;
    for (std::size_t q = 0; q < reports.size(); ++q)
        if (!reports[q].empty() && reports[q][0] == 'E')
            all += std::string(all.empty() ? "" : "; ") + "rank " + std::to_string(q) + ": " + reports[q].substr(1);
    return all;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

std::string first_config_difference(const std::string& mine, const std::string& root, int rank) {
    const auto a = lines(mine), b = lines(root);
    std::string section;
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        const std::string x = i < a.size() ? a[i] : "", y = i < b.size() ? b[i] : "";
        // to_yaml: "section:" lines, then "  key: value" lines.
        if (!x.empty() && x[0] != ' ') section = x.substr(0, x.find(':'));
        if (x == y) continue;
        const auto colon = x.find(':');
        const std::string on_rank = " on rank " + std::to_string(rank);
        if (x.empty() || x[0] != ' ' || colon == std::string::npos)
            return "'" + x + "'" + on_rank + " ('" + y + "' on rank 0)";
        const std::string key = section + "." + x.substr(2, colon - 2);
        const std::string value = x.substr(std::min(x.size(), colon + 2));
        const auto ycolon = y.find(':');
        const std::string root_value = ycolon == std::string::npos ? "(missing)" : y.substr(std::min(y.size(), ycolon + 2));
        // The same text on every rank (all compare the gathered reports), so no "here".
        return key + " (" + value + on_rank + ", " + root_value + " on rank 0)";
    }
    return "";
}

void agree_on_start(Communicator& comm, const std::string& error, const StartFingerprint& mine) {
    if (!comm.distributed()) {
        if (!error.empty()) throw UserError(error);
        return;
    }
    const std::vector<std::string> reports = comm.gather_texts(report(error, mine));
    if (const std::string failed = failures(reports); !failed.empty())
        throw CollectiveError(comm.prefix() + "stopping, as a rank could not start: " + failed);

    const std::string& root = reports[0];
    const auto root_newline = root.find('\n');
    std::string differing;
    for (std::size_t q = 1; q < reports.size(); ++q) {
        const std::string& r = reports[q];
        const auto newline = r.find('\n');
        std::string what;
        if (r.compare(newline, std::string::npos, root, root_newline, std::string::npos) != 0)
            what = "config differs from rank 0's at " +
                   first_config_difference(r.substr(newline + 1), root.substr(root_newline + 1), int(q));
        else if (r.compare(1, 16, root, 1, 16) != 0)
            what = "corpus (data.path) differs from rank 0's (another file or another version of it)";
        else if (r.compare(18, 16, root, 18, 16) != 0)
            what = "starting state (parameters, optimizer, progress) differs from rank 0's: it read another "
                   "checkpoint";
        if (!what.empty()) differing += std::string(differing.empty() ? "" : "; ") + "rank " + std::to_string(q) + "'s " + what;
    }
    if (!differing.empty())
        throw CollectiveError(comm.prefix() + "the ranks would train different things, so none trains: " + differing +
                              ". Every rank must run the same config and corpus (docs/distributed.md)");
}

void agree_no_error(Communicator& comm, const std::string& error) {
    if (!comm.distributed()) {
        if (!error.empty()) throw UserError(error);
        return;
    }
    const std::vector<std::string> reports = comm.gather_texts(error.empty() ? "" : "E" + error);
    if (const std::string failed = failures(reports); !failed.empty())
        throw CollectiveError(comm.prefix() + "stopping, as a rank failed: " + failed);
}

}  // namespace lrnn
