// lrnn: one program, whose first argument names the recipe.

#include <cstring>
#include <exception>
#include <new>
#include <iostream>
#include <string>

#include <boost/program_options/errors.hpp>

#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/text.hpp"
#include "core/version.hpp"
#include "recipes.hpp"

namespace {

struct Recipe {
    const char* name;
    const char* summary;
    int (*run)(int, char**);
};

const Recipe kRecipes[] = {
    {"train", "train a model from a YAML recipe (or --resume a run)", lrnn::recipes::train_main},
    {"info", "what a config would train, before training (lrnn train CONFIG --dry-run)", lrnn::recipes::info_main},
    {"generate", "stream text from a model (prompt, sampling, saved states)", lrnn::recipes::generate_main},
    {"eval", "loss, perplexity and bits per byte of a model on a text", lrnn::recipes::eval_main},
    {"bench", "one-thread speed of the model core against the BLAS's own sgemm", lrnn::recipes::bench_main},
    {"debug", "inspect the numbers: logits and gradients of a model on given tokens",
     lrnn::recipes::debug_main},
    {"export", "write a model's weights as safetensors, with its config and tokenizer", lrnn::recipes::export_main},
    {"prepare", "tokenize a config's corpus once into token stores (train, validation)", lrnn::recipes::prepare_main},
    {"compare", "train configs or sweeps side by side; table, loss charts, HTML report", lrnn::recipes::compare_main},
};

void print_usage(std::ostream& out) {
    out << "lrnn: train and sample a small recurrent language model on CPUs\n\n"
           "usage: lrnn RECIPE [options]     (lrnn RECIPE --help for its options)\n"
           "       lrnn --version\n\nrecipes:\n";
    for (const Recipe& r : kRecipes) out << "  " << r.name << std::string(10 - std::strlen(r.name), ' ') << r.summary << "\n";
}

// Runs one recipe; every exception that leaves it becomes one line on stderr and an exit code
// (docs/recipes.md): 2 bad input, 3 an output that could not be written, 1 anything else. The
// message goes through printable(): it may quote the user's bytes (a token, a YAML value).
int run_recipe(const Recipe& recipe, int argc, char** argv) {
    const auto fail = [&](int code, const std::string& message) {
        std::cerr << "lrnn " << recipe.name << ": error: " << lrnn::printable(message) << "\n";
        return code;
    };
    try {
        return recipe.run(argc, argv);
    } catch (const lrnn::UserError& e) {
        return fail(2, e.what());
    } catch (const lrnn::OutputError& e) {
        return fail(3, e.what());
    } catch (const boost::program_options::error& e) {
        return fail(2, e.what() + std::string(" (see lrnn ") + recipe.name + " --help)");
    } catch (const std::bad_alloc&) {
        return fail(1, "out of memory");
    } catch (const std::exception& e) {
        // A bug (a recipe should turn every failure it expects into one of the above), but
        // still a message and an exit code rather than an abort.
        return fail(1, std::string(e.what()) + " (an unexpected error)");
    } catch (...) {
        return fail(1, "an unexpected error of unknown type");
    }
}

}  // namespace

int main(int argc, char** argv) {
    lrnn::blas_use_single_thread();
    if (argc < 2) {
        print_usage(std::cerr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--version" || name == "version") {
        const std::string commit = lrnn::git_commit();
        std::cout << "lrnn " << lrnn::version() << (commit.empty() ? "" : " (commit " + commit.substr(0, 12) + ")") << "\n";
        return 0;
    }
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(std::cout);
        return 0;
    }
    for (const Recipe& r : kRecipes)
        if (name == r.name) return run_recipe(r, argc - 1, argv + 1);
    std::cerr << "lrnn: unknown recipe '" << lrnn::printable(name) << "'\n\n";
    print_usage(std::cerr);
    return 2;
}
