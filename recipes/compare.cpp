// lrnn compare A.yaml B.yaml RUN_DIR ... [key.path=value ...] [--sweep key=v1,v2 ...]
//              [--budget SECONDS | --steps N] [--name NAME] [--dir DIR]

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <boost/program_options.hpp>

#include "compare/compare.hpp"
#include "core/error.hpp"
#include "command_line.hpp"
#include "recipes.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

int compare_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn compare CONFIG.yaml|RUN_DIR ... [key.path=value ...] [options]\n\n"
        "Trains each config one after another (each a child `lrnn train` with all threads) under an\n"
        "equal budget, reads finished run directories, and shows them side by side: the config keys\n"
        "that differ, parameters, tokens/s, wall time, losses and the best validation loss and bpc.\n"
        "Outputs go to DIR/NAME/: report.html (table and loss charts), report.md, results.json,\n"
        "*.svg, and runs/VARIANT/ for each trained run. Running the same compare again reuses\n"
        "finished runs and resumes unfinished ones (docs/compare.md).\n"
        "Example: lrnn compare configs/quickstart.yaml --sweep model.n_embd=64,128 --sweep train.lr=1e-3,3e-3 --steps 200\n"
        "Exit codes: 0 all runs finished, 2 bad input, 4 some runs failed (report written),\n"
        "130 interrupted by Ctrl-C (report written; run again to resume).\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "sweep", po::value<std::vector<std::string>>()->composing(),
        "key=v1,v2,...: one variant per value; repeat for the cross product")(
        "budget", po::value<double>(), "seconds of training per run (sets train.max_seconds)")(
        "steps", po::value<std::int64_t>(), "optimizer steps per run (sets train.max_steps)")(
        "name", po::value<std::string>(), "the compare's name: outputs in DIR/NAME (default: the inputs' names)")(
        "dir", po::value<std::string>()->default_value("compare"), "where compare folders go");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts, {"args", -1});
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    CompareOptions options;
    options.arguments = line->positional;
    if (vm.count("sweep")) options.sweeps = vm["sweep"].as<std::vector<std::string>>();
    if (vm.count("budget")) options.budget_s = vm["budget"].as<double>();
    if (vm.count("steps")) options.steps = vm["steps"].as<std::int64_t>();
    if (vm.count("name")) {
        options.name = vm["name"].as<std::string>();
        if (options.name.empty()) throw UserError("--name is empty: give the compare a name, or leave --name out");
    }
    options.root = vm["dir"].as<std::string>();
    if (options.root.empty()) throw UserError("--dir is empty: give a folder, or leave --dir out (default: compare)");
    // Each run is this same program as a child: a crash or kill of one cannot end the compare.
    options.train_program = "/proc/self/exe";
    const bool live = ::isatty(STDERR_FILENO) == 1;
    const int code = run_compare(options, std::cout, std::cerr, live).exit_code;
    // The reports are on disk, but a table nobody could read is still an error worth an exit code.
    if (!std::cout.flush())
        throw OutputError("cannot write the table to standard output (" + std::string(std::strerror(errno)) +
                          "); the reports are written");
    return code;
}

}  // namespace lrnn::recipes
