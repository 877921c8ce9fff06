#pragma once
// Running the real lrnn binary from tests: exit code, stdout and stderr.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace lrnn::test {

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs `LRNN_BINARY args` through the shell (args must be shell-quoted by the caller), with
// stdin from the file stdin_path.
inline CommandResult run_lrnn(const std::string& args, const std::string& env = "",
                              const std::string& stdin_path = "/dev/null") {
    static int counter = 0;
    const auto base = std::filesystem::temp_directory_path() /
                      ("lrnn_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    const std::string out = base.string() + ".out", err = base.string() + ".err";
    const std::string cmd = env + " " + std::string(LRNN_BINARY) + " " + args + " >" + out + " 2>" + err + " <" + stdin_path;
    const int status = std::system(cmd.c_str());
    CommandResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
}

}  // namespace lrnn::test
