// lrnn generate: stream text from a model (model-spec.md section 5; docs/recipes-generate.md).
//   lrnn generate MODEL [CONFIG.yaml] [generate.key=value ...] [--prompt TEXT | --prompt-file FILE]
//                 [--tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S]
//                 [--save-state FILE] [--load-state FILE] [--interactive] [--weights float32|bf16]
//                 [--precision fp32|bf16]
// Text goes to stdout as it is produced; the seed (when random), warnings and speed go to
// stderr, so stdout is exactly the generated text.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <ctime>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "io/atomic_file.hpp"
#include "generate/bench_shapes.hpp"
#include "generate/generator.hpp"
#include "generate/options.hpp"
#include "generate/generator_state.hpp"
#include "io/byte_reader.hpp"
#include "io/model_loader.hpp"
#include "command_line.hpp"
#include "precision_option.hpp"
#include "recipes.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

namespace {

using Clock = std::chrono::steady_clock;

// Wall time and this thread's CPU time (the model runs on the calling thread alone). On a
// shared machine the CPU time still measures the work when other processes take turns on
// the cores, so both are reported.
struct Stopwatch {
    Clock::time_point wall = Clock::now();
    double cpu = thread_cpu_seconds();

    static double thread_cpu_seconds() {
        timespec ts{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    }
    std::string rate(std::size_t tokens) const {
        const double w = std::chrono::duration<double>(Clock::now() - wall).count();
        const double c = thread_cpu_seconds() - cpu;
        char buf[128];
        std::snprintf(buf, sizeof buf, "%zu tokens in %.3f s (%.0f tokens/s; CPU %.3f s, %.0f tokens/s)",
                      tokens, w, w > 0 ? double(tokens) / w : 0.0, c, c > 0 ? double(tokens) / c : 0.0);
        return buf;
    }
};

// Text to ids: a char outside the vocabulary is a UserError (naming byte and position);
// unknown words become <unk> with a warning.
std::vector<TokenId> encode_prompt(const Tokenizer& tokenizer, const std::string& text,
                                   const std::string& context) {
    std::size_t unknown = 0;
    std::vector<TokenId> ids = tokenizer.encode(text, context, &unknown);
    if (unknown > 0)
        std::cerr << "lrnn generate: warning: " << unknown << " word(s) of the " << context
                  << " are not in the model's vocabulary and became <unk>\n";
    return ids;
}

// Everything a run needs once the command line is understood.
struct Session {
    const Tokenizer& tokenizer;
    Generator& generator;
    Sampler& sampler;
    Rng& rng;
    std::int64_t tokens_per_turn;
};

// A text nobody can read is not a success: a full disk or a closed stdout stops the run.
void flush_stdout() {
    if (std::fflush(stdout) != 0 || std::ferror(stdout))
        throw OutputError(std::string("cannot write the text to standard output (") + std::strerror(errno) + ")");
}

// Feeds ids, generates the turn's tokens streaming to stdout, reports speed on stderr.
// Returns whether the text written last ended with a newline.
bool run_turn(Session& s, const std::vector<TokenId>& prompt, const std::string& label) {
    const Stopwatch prompt_clock;
    s.generator.feed(prompt);
    const std::string prompt_rate = prompt_clock.rate(prompt.size());

    bool ends_with_newline = true;
    const Stopwatch clock;
    // Whole characters only: a token that ends inside a UTF-8 character (a subword's byte
    // piece, one byte of a char vocabulary) waits for the token that completes it, and an
    // incomplete one left at the end of the turn is not printed.
    Utf8Stream stream;
    generate_tokens(s.generator, s.sampler, s.rng, s.tokens_per_turn, [&](TokenId id) {
        const std::string text = stream.push(token_text(s.tokenizer, id));
        if (text.empty()) return;
        std::fwrite(text.data(), 1, text.size(), stdout);
        flush_stdout();  // stream: the user sees each token as it is made
        ends_with_newline = text.back() == '\n';
    });
    stream.finish();
    const std::string gen_rate = clock.rate(std::size_t(s.tokens_per_turn));
    std::cerr << "lrnn generate: " << label << "prompt " << prompt_rate << "; generated "
              << gen_rate << " ("
              << (rounds_to_bf16(s.generator.precision())
                      ? precision_name(s.generator.precision()) + " products"
                      : std::string(weight_precision_name(s.generator.weights())) + " weights")
              << ")\n";
    return ends_with_newline;
}

std::uint64_t random_seed() {
    std::random_device device;
    return (std::uint64_t(device()) << 32) ^ std::uint64_t(device());
}

}  // namespace

int generate_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn generate MODEL [CONFIG.yaml] [generate.key=value ...] [options]\n\n"
        "Streams text from MODEL (a checkpoint, a run directory or an original-program model\n"
        "file) to stdout. Settings: built-in defaults < the model's own config < CONFIG.yaml's\n"
        "generate section < key=value overrides < flags. See docs/recipes-generate.md.\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "prompt", po::value<std::string>(), "text to start from (default: a newline)")(
        "prompt-file", po::value<std::string>(), "read the prompt from a file")(
        "tokens", po::value<std::string>(), "tokens to generate (default 200; 0 = only read the prompt)")(
        "temperature", po::value<std::string>(), "sampling temperature (default 0.8; 0 = greedy)")(
        "top-k", po::value<std::string>(), "keep the K most probable tokens (default 0 = off)")(
        "top-p", po::value<std::string>(), "nucleus: keep tokens until mass P (default 0.95; 1 = off)")(
        "seed", po::value<std::string>(), "random seed (default: random, printed on stderr)")(
        "save-state", po::value<std::string>(), "write the state after the run to FILE")(
        "load-state", po::value<std::string>(), "start from a saved state (the prompt is then optional)")(
        "interactive", po::bool_switch(), "read a prompt per line from stdin, reply to each")(
        "weights", po::value<std::string>(),
        "float32 (default: exact) | bf16 (half the bytes per token: faster, logits rounded)")(
        "precision", po::value<std::string>(), kPrecisionHelp)(
        "prompt-chunk", po::value<std::string>(),
        "tokens per forward call while reading a prompt (default min(ctx_len, 64))")(
        "bench-shape", po::value<std::string>(),
        "measure speed with a random model of shape small|medium instead of MODEL");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts, {"args", -1});
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    const auto has = [&](const char* name) { return vm.count(name) > 0; };
    const auto str = [&](const char* name) { return vm[name].as<std::string>(); };

    // Positional arguments: MODEL (unless --bench-shape), then CONFIG.yaml and overrides.
    std::vector<std::string> args = line->positional;
    const bool bench = has("bench-shape");
    if (!bench && args.empty()) throw UserError("say which model: lrnn generate MODEL [options]");
    LoadedModel model = bench ? benchmark_model(str("bench-shape")) : load_model(args.front());
    if (!bench) args.erase(args.begin());
    // With --bench-shape the first argument is a CONFIG.yaml or an override, never a model.
    std::error_code folder_ec;
    if (bench && !args.empty() && args.front().find('=') == std::string::npos &&
        std::filesystem::is_directory(args.front(), folder_ec))
        throw UserError("--bench-shape stands for MODEL: '" + args.front() + "' is a folder, not a config file; "
                        "leave MODEL out, or leave --bench-shape out");

    GenerateSettings settings;
    std::vector<std::string> warnings;
    if (!model.config_yaml.empty())
        apply_generate_yaml(settings, model.config_yaml, model.source + " (its config)", &warnings);
    // A loaded state continues a text, and an interactive session's text is what the user types:
    // only a prompt given for this run (CONFIG.yaml, an override, a flag) is used, not the model's.
    if (has("load-state") || vm["interactive"].as<bool>()) settings.prompt.reset();
    std::string config_file;
    for (const std::string& arg : args) {
        if (arg.find('=') != std::string::npos) continue;
        if (!config_file.empty())
            throw UserError("more than one config file given ('" + config_file + "' and '" + arg + "')");
        config_file = arg;
        const std::vector<char> bytes = read_file_bytes(arg);
        apply_generate_yaml(settings, std::string(bytes.begin(), bytes.end()), arg, &warnings);
    }
    for (const std::string& arg : args)
        if (arg.find('=') != std::string::npos) apply_generate_override(settings, arg);
    for (const auto& [flag, key] : {std::pair{"tokens", "tokens"}, {"temperature", "temperature"},
                                    {"top-k", "top_k"}, {"top-p", "top_p"}, {"seed", "seed"},
                                    {"weights", "weights"}})
        if (has(flag)) apply_generate_setting(settings, key, str(flag), std::string("--") + flag);
    if (has("prompt") && has("prompt-file")) throw UserError("give --prompt or --prompt-file, not both");
    if (has("prompt")) settings.prompt = str("prompt");
    std::string prompt_name = "prompt";  // what messages about the prompt call it
    if (has("prompt-file")) {
        const std::vector<char> bytes = read_file_bytes(str("prompt-file"));
        settings.prompt = std::string(bytes.begin(), bytes.end());
        prompt_name = "--prompt-file " + str("prompt-file");
    }
    settings.validate();
    for (const std::string& w : warnings) std::cerr << "lrnn generate: warning: " << w << "\n";

    const ModelConfig& config = model.params.config();
    std::size_t prompt_chunk = default_prompt_chunk(config);
    if (has("prompt-chunk")) {
        const std::int64_t n = parse_integer(str("prompt-chunk"), "--prompt-chunk");
        if (n < 1 || n > 4096) throw UserError("--prompt-chunk must be in 1..4096, got " + str("prompt-chunk"));
        prompt_chunk = std::size_t(n);
    }

    // Read and check everything before the first token is printed.
    const bool interactive = vm["interactive"].as<bool>();
    // The state is written at the end: a folder that is missing or read-only would lose a whole
    // session's state after it ran, so say so now.
    if (has("save-state")) check_can_write_atomically(str("save-state"), "--save-state " + str("save-state"));
    const bool states = has("load-state") || has("save-state");
    const ModelFingerprint fingerprint =
        states ? fingerprint_model(model.params, model.tokenizer) : ModelFingerprint{};
    const Precision precision =
        chosen_precision(model, has("precision") ? std::optional(str("precision")) : std::nullopt);
    // --weights bf16 is a faster one-token step for fp32 products; bf16 products already round
    // the weights. Asked for on this command line, the two are refused together; from the
    // model's own config, --weights gives way.
    if (rounds_to_bf16(precision) && settings.weights == WeightPrecision::Bf16) {
        if (has("weights"))
            throw UserError("--weights bf16 is a faster one-token step for fp32 products; with precision bf16 "
                            "every product already rounds the weights to bf16: give --precision fp32 to use "
                            "--weights bf16, or leave --weights out");
        settings.weights = WeightPrecision::Float32;
    }
    Generator generator(model.params, prompt_chunk, settings.weights, precision);
    if (has("load-state")) {
        restore_state(generator, read_state_file(str("load-state"), fingerprint));
    }
    std::vector<TokenId> prompt;
    if (settings.prompt) {
        prompt = encode_prompt(model.tokenizer, *settings.prompt, prompt_name);
        if (prompt.empty() && !generator.has_logits() && !interactive)
            throw UserError((has("prompt-file") ? prompt_name + " is empty" : std::string("the prompt is empty")) +
                            ": the first token needs at least one token of context (leave the prompt out to "
                            "start from a newline)");
    } else if (!has("load-state") && !interactive) {
        prompt = encode_prompt(model.tokenizer, default_prompt(model.tokenizer), "default prompt");
    }
    Sampler sampler(config.vocab_size, settings.sampling);
    std::uint64_t seed = 0;
    if (settings.seed) {
        seed = *settings.seed;
    } else {
        seed = random_seed();
        // Greedy decoding, or no decoding, draws no random numbers: a seed would be noise.
        if (settings.sampling.temperature > 0 && settings.tokens > 0)
            std::cerr << "lrnn generate: seed " << seed << " (--seed " << seed
                      << " reproduces this text)\n";
    }
    Rng rng(seed);
    Session session{model.tokenizer, generator, sampler, rng, settings.tokens};

    if (!interactive) {
        const bool newline = run_turn(session, prompt, "");
        // On a terminal, end the line so the shell prompt does not follow the text; a pipe
        // or file gets exactly the generated text.
        if (!newline && ::isatty(STDOUT_FILENO)) std::fputc('\n', stdout);
        flush_stdout();
    } else {
        // An explicit prompt is context for the first turn; each line (its newline included,
        // a trailing CR dropped) is then appended, and a reply generated after it.
        if (!prompt.empty()) generator.feed(prompt);
        const bool tty = ::isatty(STDIN_FILENO);
        std::string line;
        for (int turn = 1;; ++turn) {
            if (tty) std::cerr << "> " << std::flush;
            if (!std::getline(std::cin, line)) break;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            std::vector<TokenId> ids;
            try {
                ids = encode_prompt(model.tokenizer, line + "\n", "line " + std::to_string(turn));
            } catch (const UserError& e) {
                // One bad line should not end a conversation: say why and skip it.
                std::cerr << "lrnn generate: " << e.what() << "; line skipped\n";
                continue;
            }
            const bool newline = run_turn(session, ids, "turn " + std::to_string(turn) + ": ");
            if (!newline) std::fputc('\n', stdout);  // display only: not fed to the model
            flush_stdout();
        }
    }

    if (has("save-state")) {
        if (!generator.has_logits())
            throw UserError("--save-state: nothing was processed, so there is no state to save");
        const SavedState saved = capture_state(generator, fingerprint);
        write_state_file(str("save-state"), saved);
        std::cerr << "lrnn generate: state after " << saved.position << " tokens saved to "
                  << str("save-state") << "\n";
    }
    return 0;
}

}  // namespace lrnn::recipes
