#include "compare/run_naming.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.hpp"

namespace lrnn {

namespace {

bool safe_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '=' || c == '-';
}

std::uint64_t fnv1a(const std::string& s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

}  // namespace

std::string safe_name(const std::string& text) {
    std::string out;
    for (char c : text) out += safe_char(c) ? c : '_';
    if (out.empty()) out.push_back('_');
    if (out.front() == '.') out.front() = '_';  // no hidden directories, no "." or ".."
    if (out.size() > kMaxRunNameLength) {
        char hash[24];
        std::snprintf(hash, sizeof hash, "-%08llx", (unsigned long long)(fnv1a(text) & 0xffffffffull));
        out = out.substr(0, kMaxRunNameLength - 9) + hash;
    }
    return out;
}

std::vector<std::string> sweep_labels(const std::vector<SweepAxis>& axes) {
    std::map<std::string, int> leaf_count;
    auto leaf = [](const std::string& key) { return key.substr(key.rfind('.') + 1); };
    for (const auto& a : axes) ++leaf_count[leaf(a.key)];
    std::vector<std::string> labels;
    for (const auto& a : axes) labels.push_back(leaf_count[leaf(a.key)] > 1 ? a.key : leaf(a.key));
    return labels;
}

std::string variant_name(const std::string& stem, const std::vector<std::string>& labels,
                         const SweepVariant& variant) {
    std::string name = stem;
    for (std::size_t i = 0; i < variant.size() && i < labels.size(); ++i)
        name += "__" + labels[i] + "=" + canonical_value(variant[i].first, variant[i].second);
    return safe_name(name);
}

std::vector<std::string> unique_names(const std::vector<std::string>& names) {
    std::set<std::string> taken(names.begin(), names.end());
    std::map<std::string, int> seen;
    std::vector<std::string> out;
    for (const auto& n : names) {
        if (seen[n]++ == 0) {
            out.push_back(n);
            continue;
        }
        // Skip suffixes that another input already uses as its own name.
        std::string candidate;
        for (int k = seen[n];; ++k) {
            candidate = n + "-" + std::to_string(k);
            if (!taken.count(candidate)) break;
        }
        taken.insert(candidate);
        out.push_back(candidate);
    }
    return out;
}

std::string input_name(const std::string& input) {
    std::filesystem::path p(input);
    if (!p.has_filename()) p = p.parent_path();  // "runs/x/" names x
    std::error_code ec;
    return std::filesystem::is_directory(p, ec) ? p.filename().string() : p.stem().string();
}

std::string default_compare_name(const std::vector<std::string>& inputs) {
    std::string name;
    std::set<std::string> used;
    for (const auto& input : inputs) {
        const std::string stem = input_name(input);
        if (!used.insert(stem).second) continue;
        name += (name.empty() ? "" : "_vs_") + stem;
    }
    return safe_name(name.empty() ? "compare" : name);
}

void check_compare_name(const std::string& name) {
    if (name.empty() || name == "." || name == ".." || safe_name(name) != name)
        throw UserError("--name '" + name + "': use letters, digits and . _ + = - only (it names the folder "
                        "compare/NAME), not starting with '.', at most " + std::to_string(kMaxRunNameLength) +
                        " characters");
}

}  // namespace lrnn
