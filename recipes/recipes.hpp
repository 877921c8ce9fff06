#pragma once
// Every user command is one recipe: a function taking the arguments after its name and
// returning the process exit code (0 ok, 2 bad input; see docs/recipes.md).

namespace lrnn::recipes {

int bench_main(int argc, char** argv);
int compare_main(int argc, char** argv);
int debug_main(int argc, char** argv);
int info_main(int argc, char** argv);  // lrnn train CONFIG --dry-run
int generate_main(int argc, char** argv);
int eval_main(int argc, char** argv);
int export_main(int argc, char** argv);
int prepare_main(int argc, char** argv);
int train_main(int argc, char** argv);

}  // namespace lrnn::recipes
