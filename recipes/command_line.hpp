#pragma once
// Parsing a recipe's command line, the same way for every recipe (Boost.Program_options).

#include <optional>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

namespace lrnn::recipes {

struct CommandLine {
    boost::program_options::variables_map options;
    std::vector<std::string> positional;  // the arguments that are not options, in order
};

// The positional arguments a recipe takes, collected under a hidden option `name` (which,
// like any option, may also be given as --name VALUE). No name: the recipe takes none, and
// Boost leaves any given out of the options.
struct Positional {
    const char* name = nullptr;
    int max_count = -1;  // -1: any number
};

// Parses argv[1..] against `options` (which must include "help,h"): Boost's default style
// without guessing, so an abbreviation (`--tok 3` for `--tokens 3`) is refused rather than
// silently taken — an abbreviation that works today could mean another option tomorrow.
// Returns nullopt after printing `options` as the help to stdout when --help is given.
// Throws boost::program_options::error for an unknown or malformed option (the dispatcher,
// main.cpp, turns it into exit code 2 and a pointer to --help).
std::optional<CommandLine> parse_command_line(int argc, char** argv,
                                              const boost::program_options::options_description& options,
                                              Positional positional = {});

}  // namespace lrnn::recipes
