#pragma once
// One rule for every folder lrnn is told to write into (compare --dir, run.dir, debug grads
// --out, the folder of generate --save-state): the folder itself may be created, its parent
// must already exist. A typo in a path or a missing mount is then an error naming the path,
// not a tree of folders made in the wrong place (as root, at /).

#include <string>

namespace lrnn {

// UserError naming `folder` (and `what`, e.g. "--dir") unless its parent is an existing
// folder. Creates nothing. A relative path's parent may be the current folder.
void check_output_folder_parent(const std::string& folder, const std::string& what);

// The rule applied: `folder` itself is created if it is missing (UserError if it exists and is
// not a folder or its parent is missing; OutputError if it cannot be created, e.g. read-only).
void make_output_folder(const std::string& folder, const std::string& what);

}  // namespace lrnn
