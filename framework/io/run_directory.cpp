#include "io/run_directory.hpp"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "core/json.hpp"
#include "io/atomic_file.hpp"

namespace lrnn {

namespace fs = std::filesystem;

std::string checkpoint_dir(const std::string& run_dir) { return run_dir + "/checkpoints"; }

std::string checkpoint_path(const std::string& run_dir, std::int64_t step) {
    char name[64];
    std::snprintf(name, sizeof name, "step-%09lld.ckpt", static_cast<long long>(step));
    return checkpoint_dir(run_dir) + "/" + name;
}

std::int64_t checkpoint_step(const std::string& path) {
    const std::string name = fs::path(path).filename().string();
    // "step-" digits ".ckpt"; more than 18 digits could overflow and never happens.
    if (name.size() < 11 || name.size() > 28 || name.rfind("step-", 0) != 0 || !name.ends_with(".ckpt"))
        return -1;
    std::int64_t step = 0;
    for (std::size_t i = 5; i + 5 < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9') return -1;
        step = step * 10 + (name[i] - '0');
    }
    return step;
}

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
    std::vector<std::pair<std::int64_t, std::string>> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(checkpoint_dir(run_dir), ec)) {
        const std::int64_t step = checkpoint_step(entry.path().string());
        if (step >= 0 && entry.is_regular_file(ec)) found.emplace_back(step, entry.path().string());
    }
    // By step, not by name: the zero padding runs out at a billion steps.
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    out.reserve(found.size());
    for (auto& f : found) out.push_back(std::move(f.second));
    return out;
}

Checkpoint load_newest_checkpoint(const std::string& run_dir, std::ostream& notes,
                                  std::string* path_out) {
    const std::vector<std::string> files = list_checkpoints(run_dir);
    const std::string best = checkpoint_dir(run_dir) + "/best.ckpt";
    std::error_code ec;
    const bool has_best = fs::is_regular_file(best, ec);
    if (files.empty() && !has_best)
        throw UserError(run_dir + ": no checkpoints in " + checkpoint_dir(run_dir));
    for (auto it = files.rbegin(); it != files.rend(); ++it) {
        try {
            Checkpoint c = read_checkpoint(*it);
            if (it != files.rbegin()) notes << "falling back to the newest good checkpoint: " << *it << "\n";
            if (path_out) *path_out = *it;
            return c;
        } catch (const UserError& e) {
            notes << "skipping unusable checkpoint: " << e.what() << "\n";
        }
    }
    // Last resort: best.ckpt, which outlives the pruning of its step file (an older step, but
    // better than starting over).
    if (has_best) {
        try {
            Checkpoint c = read_checkpoint(best);
            notes << "every step checkpoint is unusable; falling back to " << best << " (step " << c.progress.step
                  << ")\n";
            if (path_out) *path_out = best;
            return c;
        } catch (const UserError& e) {
            notes << "skipping unusable checkpoint: " << e.what() << "\n";
        }
    }
    throw UserError(run_dir + ": none of its checkpoints is usable (" + std::to_string(files.size()) +
                    " step checkpoint(s)" + (has_best ? " and best.ckpt" : "") + " tried; see the messages above)");
}

void prune_checkpoints(const std::string& run_dir, int keep) {
    const std::vector<std::string> files = list_checkpoints(run_dir);
    for (std::size_t i = 0; i + std::size_t(std::max(keep, 0)) < files.size(); ++i) {
        std::error_code ec;
        fs::remove(files[i], ec);
    }
    // Leftovers of writes cut short by a kill: write_file_atomically's ".NAME.tmp.XXXXXX" and
    // mark_best_checkpoint's "best.ckpt.tmp.link". No write is in flight when this runs.
    std::error_code ec;
    std::vector<fs::path> stale;
    for (const auto& entry : fs::directory_iterator(checkpoint_dir(run_dir), ec)) {
        const std::string name = entry.path().filename().string();
        if ((name.rfind('.', 0) == 0 && name.find(".ckpt.tmp.") != std::string::npos) || name == "best.ckpt.tmp.link")
            stale.push_back(entry.path());
    }
    for (const fs::path& p : stale) fs::remove(p, ec);
}

namespace {

// FILE.unusable, or FILE.unusable.2, .3, ... when an earlier one is there: never replaced.
std::string set_aside(const std::string& file, const std::string& why) {
    std::string target = file + ".unusable";
    std::error_code ec;
    for (int n = 2; fs::exists(target, ec); ++n) target = file + ".unusable." + std::to_string(n);
    fs::rename(file, target, ec);
    if (ec)
        throw UserError(file + ": cannot move this unusable checkpoint out of the way (" + ec.message() +
                        "); move or delete it by hand and resume again");
    return "renamed " + file + " to " + target + " (" + why + ")";
}

}  // namespace

std::vector<std::string> remove_checkpoints_after(const std::string& run_dir, std::int64_t step) {
    std::vector<std::string> notes;
    for (const std::string& file : list_checkpoints(run_dir)) {
        const bool newer = checkpoint_step(file) > step;
        std::string problem;
        try {
            (void)read_checkpoint(file);
        } catch (const UserError& e) {
            problem = e.what();
        }
        std::error_code ec;
        if (!problem.empty()) {
            // Unreadable, newer or not: out of the way of the listing and the pruning, kept.
            notes.push_back(set_aside(file, std::string(newer ? "newer than the checkpoint resumed, and " : "") +
                                                "unreadable: " + problem));
        } else if (newer) {
            fs::remove(file, ec);
            if (ec)
                throw UserError(file + ": cannot remove this checkpoint of the abandoned timeline (" + ec.message() +
                                "); move or delete it by hand and resume again");
            notes.push_back("removed " + file + " (newer than the checkpoint resumed)");
        }
    }
    return notes;
}

std::string foreign_entry(const std::string& dir) {
    static const std::set<std::string> ours = {"config.yaml", "metrics.jsonl", "summary.json", "checkpoints",
                                               "samples",     ".lock",         "train.log",
                                               "tokenizer.model"};
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!ours.count(name)) return name;
    }
    if (!ec) return "";
    std::string unreadable = "(";  // built up: GCC 12 warns falsely (-Wrestrict) on "(" + ...
    unreadable += ec.message();
    unreadable += ')';
    return unreadable;
}

void mark_best_checkpoint(const std::string& run_dir, const std::string& checkpoint) {
    const std::string best = checkpoint_dir(run_dir) + "/best.ckpt";
    const std::string tmp = best + ".tmp.link";
    std::error_code ec;
    fs::remove(tmp, ec);
    if (::link(checkpoint.c_str(), tmp.c_str()) != 0) {
        // No hard links on this file system: fall back to a copy.
        fs::copy_file(checkpoint, tmp, fs::copy_options::overwrite_existing, ec);
        if (ec) return;
    }
    fs::rename(tmp, best, ec);
}

namespace {

// The "step" of a metrics row; none for a line that is not a JSON object with an integer step
// (damage: dropped like a line cut short).
std::optional<std::int64_t> row_step(const std::string& line, const std::string& metrics_path) {
    try {
        const Json row = parse_json(line, metrics_path);
        if (!row.is_object()) return std::nullopt;
        const auto step = row.find("step");
        if (step == row.end() || !step->is_number_integer()) return std::nullopt;
        return step->get<std::int64_t>();
    } catch (const UserError&) {
        return std::nullopt;
    }
}

}  // namespace

void truncate_metrics(const std::string& metrics_path, std::int64_t last_step) {
    std::ifstream in(metrics_path);
    if (!in) return;
    std::string kept, line;
    while (std::getline(in, line)) {
        if (in.eof()) break;  // the last line had no newline: cut short by a kill
        const std::optional<std::int64_t> step = row_step(line, metrics_path);
        if (step && *step <= last_step) kept += line + "\n";
    }
    write_file_atomically(metrics_path, kept);
}

}  // namespace lrnn
