#include "io/output_folder.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace lrnn {

namespace fs = std::filesystem;

namespace {

// "a/b/" is the folder "a/b".
fs::path folder_path(const std::string& folder) {
    fs::path path = fs::path(folder).lexically_normal();
    if (path.has_relative_path() && path.filename().empty()) path = path.parent_path();
    return path;
}

}  // namespace

void check_output_folder_parent(const std::string& folder, const std::string& what) {
    if (folder.empty()) throw UserError(what + ": empty folder name");
    const fs::path path = folder_path(folder);
    fs::path parent = path.parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (fs::is_directory(parent, ec)) return;
    const bool exists = fs::exists(parent, ec);
    throw UserError(what + " " + folder + ": " + parent.string() + (exists ? " is not a folder" : " does not exist") +
                    " (lrnn creates only the last folder of an output path; create its parent first)");
}

void make_output_folder(const std::string& folder, const std::string& what) {
    check_output_folder_parent(folder, what);
    const fs::path path = folder_path(folder);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (fs::is_directory(status)) return;
    // (unknown: it could not be examined, e.g. no permission; creating it says why)
    if (fs::exists(status) && status.type() != fs::file_type::unknown)
        throw UserError(what + " " + folder + ": exists and is not a folder");
    if (!fs::create_directory(path, ec) && ec)
        throw OutputError(what + " " + folder + ": cannot create the folder (" + ec.message() + ")");
}

}  // namespace lrnn
