// lrnn prepare: tokenizes a run's corpus once, as training would, into token stores.
//   lrnn prepare CONFIG.yaml [key.path=value ...]
// The stores go to run.dir/.token-stores/<text>-<vocabulary>-<training bytes>/ (see
// train/prepared_corpus.hpp and docs/formats.md); valid stores already there are kept.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "config/train_config.hpp"
#include "core/error.hpp"
#include "train/prepared_corpus.hpp"
#include "command_line.hpp"
#include "recipes.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

int prepare_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn prepare CONFIG.yaml [key.path=value ...]\n\n"
        "  Reads the corpus the config names (data.*), builds or trains its tokenizer exactly as\n"
        "  lrnn train would, and writes the tokenized training and validation parts as token\n"
        "  stores under run.dir/.token-stores/ (docs/formats.md). Valid stores already there are\n"
        "  kept; damaged or stale ones are rebuilt.\n\noptions");
    opts.add_options()("help,h", "show this help");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts, {"args", -1});
    if (!line) return 0;  // the help was asked for (and printed)
    const std::vector<std::string>& args = line->positional;
    if (args.empty() || args[0].find('=') != std::string::npos)
        throw UserError("give a config file first: lrnn prepare CONFIG.yaml [key.path=value ...]");
    ConfigSource source{.path = args[0], .overrides = {}};
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i].find('=') == std::string::npos)
            throw UserError("'" + args[i] + "' after the config file is not a key.path=value override");
        source.overrides.push_back(args[i]);
    }
    const TrainConfig config = load_train_config(source);

    const auto start = std::chrono::steady_clock::now();
    DataRequest request;
    request.full_check_bytes = std::numeric_limits<std::uint64_t>::max();  // prepare reads every id
    request.progress = true;
    const TrainingData data = open_training_data(config, request, std::cout);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const std::size_t tokens = data.train.ids().size() + data.val.ids().size();
    std::cout << (data.reused ? "reusing valid token stores in " : "wrote token stores to ") << data.folder
              << "/\n  " << data.train.path() << ": " << data.train.ids().size() << " tokens\n  " << data.val.path()
              << ": " << data.val.ids().size() << " tokens\n";
    char rate[128];
    std::snprintf(rate, sizeof rate, "%.3f s, %.1f MB/s of text, %.0f tokens/s", seconds,
                  seconds > 0 ? double(data.bytes) / 1e6 / seconds : 0.0, seconds > 0 ? double(tokens) / seconds : 0.0);
    std::cout << (data.reused ? "checked " : "prepared ") << data.bytes << " bytes of text ("
              << data.tokenizer.vocab_size() << " token vocabulary) in " << rate << "\n";
    return 0;
}

}  // namespace lrnn::recipes
