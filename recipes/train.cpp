// lrnn train CONFIG.yaml [key.path=value ...] [--force]
// lrnn train --resume RUN_DIR|CHECKPOINT [key.path=value ...]
// lrnn train CONFIG.yaml [key.path=value ...] --dry-run [--measure]

#include <filesystem>
#include <iostream>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "command_line.hpp"
#include "core/rng.hpp"
#include "generate/generator.hpp"
#include "generate/sampler.hpp"
#include "io/atomic_file.hpp"
#include "recipes.hpp"
#include "train/dry_run.hpp"
#include "train/trainer.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

namespace {

// The sample printed at the end of training: the generate section's settings, through the
// same Generator as `lrnn generate`.
std::string sample_text(const TrainedModel& model) {
    const GenerateSection& g = model.generate;
    std::vector<TokenId> prompt;
    try {
        prompt = model.tokenizer.encode(g.prompt, "generate.prompt");
    } catch (const UserError&) {
        prompt.clear();  // a prompt the vocabulary cannot encode: start from the first token
    }
    if (prompt.empty()) prompt.push_back(0);
    Generator generator(model.params, default_prompt_chunk(model.params.config()),
                        *parse_weight_precision(g.weights));  // validated with the config
    generator.feed(prompt);
    SamplingOptions opts;
    opts.temperature = g.temperature;
    opts.top_k = g.top_k;
    opts.top_p = g.top_p;
    Sampler sampler(model.params.config().vocab_size, opts);
    Rng rng(g.seed >= 0 ? std::uint64_t(g.seed) : model.run_seed);
    std::string text = model.tokenizer.decode(prompt);
    generate_tokens(generator, sampler, rng, g.tokens,
                    [&](TokenId id) { text += token_text(model.tokenizer, id); });
    text.resize(text.size() - utf8_incomplete_tail(text));  // no half character at the end
    return text;
}

// Prints the sample and keeps it in RUN_DIR/samples/final.txt.
void print_sample(const TrainedModel& model, const std::string& run_dir) {
    const std::string text = sample_text(model);
    std::error_code dir_error;  // (a samples/ folder deleted by hand comes back)
    std::filesystem::create_directories(run_dir + "/samples", dir_error);
    try {
        write_file_atomically(run_dir + "/samples/final.txt", text);
    } catch (const UserError& e) {
        throw OutputError(e.what());  // a full disk: exit code 3, as for the run's other files
    }
    std::cout << "---- sample (" << model.generate.tokens << " tokens, temperature " << model.generate.temperature
              << ") ----\n" << text << "\n----\n" << std::flush;
}

}  // namespace

int train_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn train CONFIG.yaml [key.path=value ...] [options]\n"
        "lrnn train --resume RUN_DIR|CHECKPOINT [key.path=value ...]\n\n"
        "Trains the model as the YAML recipe says (keys: docs/config.md); overrides after the\n"
        "file use YAML scalar typing, e.g. train.lr=1e-3 model.auto=true data.path=x.txt.\n"
        "Exit codes: 0 done, 2 bad input, 3 a checkpoint or metrics.jsonl could not be saved,\n"
        "4 diverged (non-finite losses), 130/143 stopped by SIGINT/SIGTERM after saving a\n"
        "checkpoint.\n\noptions");
    opts.add_options()("help,h", "show this help")("force", "replace an existing run directory")(
        "resume", po::value<std::string>(), "continue a run: its directory (newest good checkpoint) or a checkpoint file")(
        "allow-changed-corpus", "resume even if the corpus file changed since the checkpoint")(
        "no-sample", "do not print a sample at the end")(
        "dry-run", "show what the run would do (resolved config, parameters, memory, steps) and exit; creates nothing")(
        "measure", "with --dry-run: time a few real training steps and estimate the run's time");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts, {"args", -1});
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    TrainOptions options;
    options.force = vm.count("force") > 0;
    options.allow_changed_corpus = vm.count("allow-changed-corpus") > 0;
    options.print_sample = vm.count("no-sample") == 0;
    const std::vector<std::string>& args = line->positional;
    if (vm.count("resume")) {
        options.resume = vm["resume"].as<std::string>();
        if (options.force)
            throw UserError("--force and --resume exclude each other: --resume continues a run, --force replaces "
                            "one (give the config file to start over)");
        for (const auto& a : args) {
            if (a.find('=') == std::string::npos)
                throw UserError("with --resume, only key.path=value overrides may follow (got '" + a + "')");
            options.resume_overrides.push_back(a);
        }
    } else {
        if (options.allow_changed_corpus)
            throw UserError("--allow-changed-corpus only applies with --resume");
        if (args.empty() || args[0].find('=') != std::string::npos)
            throw UserError("give a config file first: lrnn train CONFIG.yaml [key.path=value ...]");
        options.source.path = args[0];
        for (std::size_t i = 1; i < args.size(); ++i) {
            if (args[i].find('=') == std::string::npos)
                throw UserError("'" + args[i] + "' after the config file is not a key.path=value override");
            options.source.overrides.push_back(args[i]);
        }
    }
    if (vm.count("measure") && !vm.count("dry-run")) throw UserError("--measure only applies with --dry-run");
    if (vm.count("dry-run")) {
        if (!options.resume.empty()) throw UserError("--dry-run looks at a new run: give the config file, not --resume");
        dry_run(options, vm.count("measure") > 0, std::cout);
        return 0;
    }
    const TrainResult result = run_training(options);
    if (options.print_sample && result.trained) print_sample(*result.trained, result.run_dir);
    return result.exit_code;
}

}  // namespace lrnn::recipes
