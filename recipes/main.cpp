// lrnn: one program, whose first argument names the recipe.

#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include <boost/program_options/errors.hpp>

#include "core/error.hpp"
#include "core/gemm.hpp"
#include "recipes.hpp"

namespace {

struct Recipe {
    const char* name;
    const char* summary;
    int (*run)(int, char**);
};

const Recipe kRecipes[] = {
    {"train", "train a model from a YAML recipe (or --resume a run)", lrnn::recipes::train_main},
    {"generate", "stream text from a model (prompt, sampling, saved states)", lrnn::recipes::generate_main},
    {"eval", "loss, perplexity and bits per byte of a model on a text", lrnn::recipes::eval_main},
    {"bench", "one-thread speed of the model core against the BLAS's own sgemm", lrnn::recipes::bench_main},
    {"debug", "inspect the numbers: logits and gradients of a model on given tokens",
     lrnn::recipes::debug_main},
    {"compare", "train configs or sweeps side by side; table, loss charts, HTML report", lrnn::recipes::compare_main},
};

void print_usage(std::ostream& out) {
    out << "lrnn: train and sample a small recurrent language model on CPUs\n\n"
           "usage: lrnn RECIPE [options]     (lrnn RECIPE --help for its options)\n\nrecipes:\n";
    for (const Recipe& r : kRecipes) out << "  " << r.name << std::string(10 - std::strlen(r.name), ' ') << r.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    lrnn::blas_use_single_thread();
    if (argc < 2) {
        print_usage(std::cerr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(std::cout);
        return 0;
    }
    for (const Recipe& r : kRecipes) {
        if (name != r.name) continue;
        try {
            return r.run(argc - 1, argv + 1);
        } catch (const lrnn::UserError& e) {
            std::cerr << "lrnn " << name << ": error: " << e.what() << "\n";
            return 2;
        } catch (const lrnn::OutputError& e) {
            std::cerr << "lrnn " << name << ": error: " << e.what() << "\n";
            return 3;
        } catch (const boost::program_options::error& e) {
            std::cerr << "lrnn " << name << ": error: " << e.what() << " (see lrnn " << name
                      << " --help)\n";
            return 2;
        } catch (const std::bad_alloc&) {
            std::cerr << "lrnn " << name << ": error: out of memory\n";
            return 1;
        }
    }
    std::cerr << "lrnn: unknown recipe '" << name << "'\n\n";
    print_usage(std::cerr);
    return 2;
}
