#include "io/output_folder.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace lrnn {

namespace fs = std::filesystem;

void check_output_folder_parent(const std::string& folder, const std::string& what) {
    fs::path path = fs::path(folder).lexically_normal();
    if (path.has_relative_path() && path.filename().empty()) path = path.parent_path();  // "a/b/" is "a/b"
    fs::path parent = path.parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (fs::is_directory(parent, ec)) return;
    const bool exists = fs::exists(parent, ec);
    throw UserError(what + " " + folder + ": " + parent.string() + (exists ? " is not a folder" : " does not exist") +
                    " (lrnn creates only the last folder of an output path; create its parent first)");
}

}  // namespace lrnn
