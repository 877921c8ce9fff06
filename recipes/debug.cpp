// lrnn debug: the model's numbers on given tokens, for tests and for anyone checking them.
//   lrnn debug logits --model FILE --tokens FILE --out OUT.npy [--mode chunk|step]
//   lrnn debug grads  --model FILE --tokens FILE --out DIR [--precision double|float]

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/output_folder.hpp"
#include "io/model_loader.hpp"
#include "io/npy.hpp"
#include "io/token_file.hpp"
#include "model/model.hpp"
#include "command_line.hpp"
#include "recipes.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

namespace {

namespace fs = std::filesystem;

int debug_logits(const po::variables_map& vm) {
    const std::string mode = vm["mode"].as<std::string>();
    if (mode != "chunk" && mode != "step")
        throw UserError("--mode must be chunk or step (got '" + mode + "')");
    LoadedModel model = load_model(vm["model"].as<std::string>());
    const ModelConfig& config = model.params.config();
    const std::vector<TokenId> tokens =
        read_token_file(vm["tokens"].as<std::string>(), config.vocab_size);
    const std::size_t n = tokens.size(), V = config.vocab_size;
    std::vector<float> logits(n * V);
    const auto params = model.params.view();
    if (mode == "chunk") {
        Workspace<float> ws(config, n);
        model_forward(params, std::span(tokens), ws);
        std::copy_n(ws.logits.data(), n * V, logits.data());
    } else {
        Workspace<float> ws(config, 1);
        RecurrentState<float> state(config);
        for (std::size_t t = 0; t < n; ++t) {
            model_forward(params, std::span(tokens).subspan(t, 1), ws, &state);
            std::copy_n(ws.logits.data(), V, logits.data() + t * V);
        }
    }
    write_npy(vm["out"].as<std::string>(), logits, {n, V});
    return 0;
}

template <typename Real>
int debug_grads_in(const LoadedModel& model, const std::vector<TokenId>& tokens,
                   const std::string& out_dir) {
    const ModelConfig& config = model.params.config();
    if (tokens.size() < 2) throw UserError("--tokens: need at least 2 tokens for a gradient");
    Parameters<Real> params(config);
    std::copy(model.params.values.begin(), model.params.values.end(), params.values.begin());
    Parameters<Real> grads(config);
    const std::size_t T = tokens.size() - 1;
    Workspace<Real> ws(config, T);
    const std::span<const TokenId> all(tokens);
    model_forward(params.view(), all.subspan(0, T), ws);
    const LossSums loss = model_loss(ws, all.subspan(1, T), 0.0, 1.0 / double(T));
    model_backward(params.view(), all.subspan(0, T), ws, grads.mutable_view());

    make_output_folder(out_dir, "--out");
    std::ostringstream text;
    text << std::setprecision(17) << loss.plain / double(T) << "\n";
    write_file_atomically(out_dir + "/loss.txt", text.str());
    for (const TensorSpec& t : grads.layout.tensors()) {
        std::vector<float> g(grads.values.begin() + t.offset, grads.values.begin() + t.offset + t.size());
        std::vector<std::size_t> shape = t.is_vector() ? std::vector<std::size_t>{t.rows}
                                                       : std::vector<std::size_t>{t.rows, t.cols};
        write_npy(out_dir + "/" + t.name + ".npy", g, shape);
    }
    std::cout << "loss " << std::setprecision(9) << loss.plain / double(T) << "; "
              << grads.layout.tensors().size() << " gradients in " << out_dir << "\n";
    return 0;
}

int debug_grads(const po::variables_map& vm) {
    const std::string precision = vm["precision"].as<std::string>();
    if (precision != "double" && precision != "float")
        throw UserError("--precision must be double or float (got '" + precision + "')");
    LoadedModel model = load_model(vm["model"].as<std::string>());
    const std::vector<TokenId> tokens =
        read_token_file(vm["tokens"].as<std::string>(), model.params.config().vocab_size);
    const std::string out = vm["out"].as<std::string>();
    return precision == "double" ? debug_grads_in<double>(model, tokens, out)
                                 : debug_grads_in<float>(model, tokens, out);
}

}  // namespace

int debug_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn debug logits|grads [options]\n\n"
        "  logits: the logits at every position from a zero state, as a float32 .npy (n, V)\n"
        "  grads:  the mean cross-entropy of predicting tokens[1..] and every parameter's\n"
        "          gradient, as DIR/loss.txt and DIR/NAME.npy\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "model", po::value<std::string>(), "model file (seed model, checkpoint) or run directory")(
        "tokens", po::value<std::string>(), "file of whitespace-separated token ids")(
        "out", po::value<std::string>(), "output .npy (logits) or directory (grads)")(
        "mode", po::value<std::string>()->default_value("chunk"), "logits: chunk or step")(
        "precision", po::value<std::string>()->default_value("double"), "grads: double or float");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts, {"what", 1});
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    if (line->positional.empty()) throw UserError("say what to compute: lrnn debug logits|grads ...");
    for (const char* required : {"model", "tokens", "out"})
        if (!vm.count(required)) throw UserError(std::string("--") + required + " is required");
    const std::string& what = line->positional.front();
    if (what == "logits") return debug_logits(vm);
    if (what == "grads") return debug_grads(vm);
    throw UserError("unknown debug command '" + what + "' (expected logits or grads)");
}

}  // namespace lrnn::recipes
