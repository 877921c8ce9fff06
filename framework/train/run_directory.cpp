#include "train/run_directory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace lrnn {

namespace fs = std::filesystem;

std::string checkpoint_dir(const std::string& run_dir) { return run_dir + "/checkpoints"; }

std::string checkpoint_path(const std::string& run_dir, std::int64_t step) {
    char name[64];
    std::snprintf(name, sizeof name, "step-%09lld.ckpt", static_cast<long long>(step));
    return checkpoint_dir(run_dir) + "/" + name;
}

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(checkpoint_dir(run_dir), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() == 19 && name.rfind("step-", 0) == 0 && name.ends_with(".ckpt"))
            out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());  // zero-padded step: lexical order is step order
    return out;
}

Checkpoint load_newest_checkpoint(const std::string& run_dir, std::ostream& notes,
                                  std::string* path_out) {
    const std::vector<std::string> files = list_checkpoints(run_dir);
    if (files.empty())
        throw UserError(run_dir + ": no checkpoints in " + checkpoint_dir(run_dir));
    for (auto it = files.rbegin(); it != files.rend(); ++it) {
        try {
            Checkpoint c = read_checkpoint(*it);
            if (it != files.rbegin()) notes << "using " << *it << "\n";
            if (path_out) *path_out = *it;
            return c;
        } catch (const UserError& e) {
            notes << "skipping unusable checkpoint: " << e.what() << "\n";
        }
    }
    throw UserError(run_dir + ": none of its " + std::to_string(files.size()) +
                    " checkpoints is usable (see the messages above)");
}

void prune_checkpoints(const std::string& run_dir, int keep) {
    const std::vector<std::string> files = list_checkpoints(run_dir);
    for (std::size_t i = 0; i + std::size_t(keep) < files.size(); ++i) {
        std::error_code ec;
        fs::remove(files[i], ec);
    }
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

void truncate_metrics(const std::string& metrics_path, std::int64_t last_step) {
    std::ifstream in(metrics_path);
    if (!in) return;
    std::string kept, line;
    while (std::getline(in, line)) {
        if (in.eof()) break;  // the last line had no newline: cut short by a kill
        const auto at = line.find("\"step\":");
        if (at == std::string::npos || line.back() != '}') continue;
        const long long step = std::atoll(line.c_str() + at + 7);
        if (step <= last_step) kept += line + "\n";
    }
    write_file_atomically(metrics_path, kept);
}

}  // namespace lrnn
