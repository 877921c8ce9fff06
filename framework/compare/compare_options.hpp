#pragma once
// What `lrnn compare` was asked to do (docs/compare.md), as the recipe parsed it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lrnn {

struct CompareOptions {
    // In order: config files (trained), run directories (read) and key.path=value overrides
    // (applied to every config). An argument naming an existing file or folder is an input,
    // even if it contains '=' (variant folders do: quickstart__lr=0.001).
    std::vector<std::string> arguments;
    std::vector<std::string> sweeps;      // "key=v1,v2,..." each
    std::optional<double> budget_s;       // --budget: train.max_seconds for every trained run
    std::optional<std::int64_t> steps;    // --steps: train.max_steps for every trained run
    std::string name;                     // --name ("" = from the inputs' names)
    std::string root = "compare";         // --dir: the outputs go to ROOT/NAME
    // The program run as `PROGRAM train ...` for each run: this binary (/proc/self/exe) in
    // the recipe; tests may point it at the built lrnn or a wrapper script.
    std::string train_program = "/proc/self/exe";
};

}  // namespace lrnn
