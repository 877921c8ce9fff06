// lrnn eval: cross-entropy, perplexity and bits per byte of a model on a text, chunked
// exactly like training validation (framework/train/evaluation.hpp), chunks in parallel.
//   lrnn eval MODEL --text FILE [--json] [--threads N] [--precision fp32|bf16]

#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <iostream>
#include <optional>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "core/thread_limit.hpp"
#include "core/json.hpp"
#include "generate/options.hpp"
#include "io/byte_reader.hpp"
#include "io/model_loader.hpp"
#include "command_line.hpp"
#include "precision_option.hpp"
#include "recipes.hpp"
#include "train/evaluation.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

int eval_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn eval MODEL --text FILE [options]\n\n"
        "Mean cross-entropy (nats per token), perplexity and bits per byte of MODEL on FILE,\n"
        "in chunks of the model's ctx_len like training validation.\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "text", po::value<std::string>(), "the text to evaluate on")(
        "json", po::bool_switch(), "print one JSON object instead of a sentence")(
        "threads", po::value<std::string>(), "worker threads (default 0: all cores)")(
        "precision", po::value<std::string>(), kPrecisionHelp);
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts, {"model", -1});
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    const std::vector<std::string>& models = line->positional;
    if (models.empty()) throw UserError("say which model: lrnn eval MODEL --text FILE");
    if (models.size() != 1) throw UserError("give one MODEL (got " + std::to_string(models.size()) + ")");
    if (!vm.count("text")) throw UserError("--text FILE is required");

    std::optional<ThreadLimit> threads;
    if (vm.count("threads")) {
        const std::string value = vm["threads"].as<std::string>();
        const std::int64_t n = parse_integer(value, "--threads");
        if (n < 0 || n > 4096) throw UserError("--threads must be in 0..4096 (0 = all cores), got " + value);
        threads.emplace(int(n));
    }

    const LoadedModel model = load_model(models.front());
    const Precision precision = chosen_precision(
        model, vm.count("precision") ? std::optional(vm["precision"].as<std::string>()) : std::nullopt);
    const std::string text_path = vm["text"].as<std::string>();
    const std::vector<char> bytes = read_file_bytes(text_path);
    std::size_t unknown = 0;
    std::vector<std::uint32_t> token_bytes;
    // A char outside the vocabulary: UserError naming the byte and its position in the file.
    const std::vector<TokenId> tokens =
        model.tokenizer.encode(std::string_view(bytes.data(), bytes.size()), text_path, &unknown, &token_bytes);
    if (unknown > 0)
        std::cerr << "lrnn eval: warning: " << unknown
                  << " word(s) of the text are not in the model's vocabulary and count as <unk>\n";
    if (tokens.size() < 2)
        throw UserError(text_path + ": too short: " + std::to_string(tokens.size()) +
                        " token(s), evaluation needs at least 2");

    const EvalResult r =
        evaluate(model.params, tokens, token_bytes, std::size_t(model.params.config().ctx_len), model.tokenizer.unk_id(),
                 precision);
    if (vm["json"].as<bool>()) {
        Json result = {{"loss", r.loss},   {"perplexity", r.perplexity}, {"bits_per_byte", r.bits_per_byte},
                       {"tokens", r.tokens}, {"bytes", r.bytes}};
        if (r.unk_share) result["unk_share"] = *r.unk_share;  // docs/formats.md: the <unk> share
        result["model"] = model.source;
        result["precision"] = precision_name(precision);
        std::cout << json_compact(result) << "\n";
    } else {
        char line[256];
        std::snprintf(line, sizeof line,
                      "loss %.6f nats/token, perplexity %.4f, %.4f bits/byte (%zu tokens, %zu bytes)",
                      r.loss, r.perplexity, r.bits_per_byte, r.tokens, r.bytes);
        std::cout << line;
        if (r.unk_share) {
            std::snprintf(line, sizeof line, ", %.4f%% of the bytes in <unk>", 100.0 * *r.unk_share);
            std::cout << line;
        }
        std::cout << " - " << model.source << " on " << text_path
                  << (rounds_to_bf16(precision) ? " (" + precision_name(precision) + " products)" : "") << "\n";
    }
    if (!std::cout.flush())
        throw OutputError("cannot write the result to standard output (" + std::string(std::strerror(errno)) + ")");
    return 0;
}

}  // namespace lrnn::recipes
