// lrnn prepare: tokenizes a run's corpus once, as training would, into token stores.
//   lrnn prepare CONFIG.yaml [key.path=value ...]
// The stores go to run.dir/.token-stores/<text>-<vocabulary>-<training bytes>/ (see
// train/prepared_corpus.hpp and docs/formats.md); valid stores already there are kept.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "config/train_config.hpp"
#include "core/error.hpp"
#include "train/prepared_corpus.hpp"
#include "train/run_corpus.hpp"
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
    const Corpus corpus = load_run_corpus(config);
    const PreparedStores stores = prepare_token_stores(config, corpus, std::cout);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::cout << (stores.reused ? "reusing valid token stores in " : "wrote token stores to ") << stores.folder
              << "/\n  " << stores.train_path << ": " << stores.train_tokens << " tokens\n  " << stores.val_path
              << ": " << stores.val_tokens << " tokens\n";
    char rate[96];
    std::snprintf(rate, sizeof rate, "%.3f s, %.1f MB/s of text", seconds,
                  seconds > 0 ? double(stores.text_bytes) / 1e6 / seconds : 0.0);
    std::cout << "prepared " << stores.text_bytes << " bytes of text (" << corpus.tokenizer.vocab_size()
              << " token vocabulary) in " << rate << "\n";
    return 0;
}

}  // namespace lrnn::recipes
