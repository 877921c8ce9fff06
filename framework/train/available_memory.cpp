#include "train/available_memory.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/error.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

// The number a cgroup or /proc file starts with; nothing for "max", a missing file or garbage.
std::optional<double> read_number(const fs::path& path) {
    std::ifstream in(path);
    std::string word;
    if (!(in >> word)) return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
    return double(value);
}

std::optional<double> mem_available() {
    std::ifstream in("/proc/meminfo");
    std::string name, unit;
    double kib = 0;
    while (in >> name >> kib) {
        std::getline(in, unit);
        if (name == "MemAvailable:") return kib * 1024.0;
    }
    return std::nullopt;
}

// This process's cgroup path for a v1 controller ("memory") or v2 (""), from /proc/self/cgroup.
std::optional<std::string> cgroup_path(const std::string& controller) {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
        const auto a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1);
        const bool match = controller.empty() ? (line.compare(0, a, "0") == 0 && controllers.empty())
                                              : ("," + controllers + ",").find("," + controller + ",") != std::string::npos;
        if (match) return line.substr(b + 1);
    }
    return std::nullopt;
}

// The folders from the process's own cgroup up to the mount point (a container often mounts
// its own cgroup as the root, so the path from /proc/self/cgroup need not exist below it).
std::vector<fs::path> cgroup_levels(const fs::path& mount, const std::string& path) {
    std::vector<fs::path> levels;
    std::error_code ec;
    for (fs::path p = (mount / fs::path(path).relative_path()).lexically_normal();; p = p.parent_path()) {
        if (fs::is_directory(p, ec)) levels.push_back(p);
        if (p == mount || p.string().size() <= mount.string().size()) break;
    }
    if (levels.empty() || levels.back() != mount) levels.push_back(mount);
    return levels;
}

// What the tightest cgroup level leaves: limit - usage.
std::optional<double> cgroup_room(const fs::path& mount, const std::string& path, const char* limit_file,
                                  const char* usage_file) {
    std::optional<double> room;
    for (const fs::path& level : cgroup_levels(mount, path)) {
        const auto limit = read_number(level / limit_file);
        // v1 writes "no limit" as a page-rounded 2^63; anything beyond 2^60 is no limit.
        if (!limit || *limit >= 1.15e18) continue;
        const double usage = read_number(level / usage_file).value_or(0);
        const double left = std::max(0.0, *limit - usage);
        if (!room || left < *room) room = left;
    }
    return room;
}

}  // namespace

std::optional<AvailableMemory> available_memory() {
    std::optional<AvailableMemory> least;
    auto consider = [&](std::optional<double> bytes, const char* source) {
        if (bytes && (!least || *bytes < least->bytes)) least = AvailableMemory{*bytes, source};
    };
    consider(mem_available(), "MemAvailable in /proc/meminfo");
    if (const auto v2 = cgroup_path(""); v2 && fs::exists("/sys/fs/cgroup/cgroup.controllers"))
        consider(cgroup_room("/sys/fs/cgroup", *v2, "memory.max", "memory.current"),
                 "the cgroup's memory.max - memory.current");
    if (const auto v1 = cgroup_path("memory"))
        consider(cgroup_room("/sys/fs/cgroup/memory", *v1, "memory.limit_in_bytes", "memory.usage_in_bytes"),
                 "the cgroup's memory.limit_in_bytes - memory.usage_in_bytes");
    if (const char* env = std::getenv("LRNN_MEMORY_LIMIT_BYTES"); env && *env) {
        const std::string text(env);
        std::uint64_t cap = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cap);
        if (ec != std::errc() || end != text.data() + text.size())
            throw UserError("LRNN_MEMORY_LIMIT_BYTES is '" + text + "', expected a whole number of bytes");
        consider(double(cap), "LRNN_MEMORY_LIMIT_BYTES");
    }
    return least;
}

}  // namespace lrnn
