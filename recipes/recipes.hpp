#pragma once
// Every user command is one recipe: a function taking the arguments after its name and
// returning the process exit code (0 ok, 2 bad input; see docs/recipes.md).

#include <boost/program_options/cmdline.hpp>

namespace lrnn::recipes {

// Boost's default style, without guessing: `--tok 3` is not silently taken for `--tokens 3`
// (an abbreviation that works today could mean another option tomorrow).
inline constexpr int kOptionStyle = boost::program_options::command_line_style::default_style &
                                    ~boost::program_options::command_line_style::allow_guessing;

int bench_main(int argc, char** argv);
int compare_main(int argc, char** argv);
int debug_main(int argc, char** argv);
int generate_main(int argc, char** argv);
int eval_main(int argc, char** argv);
int train_main(int argc, char** argv);

}  // namespace lrnn::recipes
