// lrnn info CONFIG.yaml [key.path=value ...] [--measure]: what `lrnn train CONFIG --dry-run`
// shows, under a name of its own for looking before training (docs/recipes.md).

#include <cstring>
#include <string>
#include <vector>

#include "recipes.hpp"

namespace lrnn::recipes {

int info_main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    std::string dry_run = "--dry-run";
    bool given = false;  // `lrnn info CONFIG --dry-run` says it twice: once is enough
    for (const char* a : args) given = given || std::strcmp(a, "--dry-run") == 0;
    if (!given) args.push_back(dry_run.data());
    const int count = int(args.size());
    args.push_back(nullptr);  // argv's terminator
    return train_main(count, args.data());
}

}  // namespace lrnn::recipes
