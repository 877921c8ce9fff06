#pragma once
// Running the real lrnn binary from tests: exit code, stdout and stderr.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace lrnn::test {

struct CommandResult {
    int exit_code = -1;  // 128 + the signal's number if a signal ended the process
    bool exited = false; // it ended by exiting (not killed by a signal)
    std::string out;
    std::string err;
};

// `s` as one word for the shell.
inline std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (const char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

// Runs the shell command line `command` with stdin from the file stdin_path, capturing its
// stdout and stderr.
inline CommandResult run_shell(const std::string& command, const std::string& stdin_path = "/dev/null") {
    static int counter = 0;
    const auto base = std::filesystem::temp_directory_path() /
                      ("lrnn_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    const std::string out = base.string() + ".out", err = base.string() + ".err";
    const std::string cmd = command + " >" + shell_quote(out) + " 2>" + shell_quote(err) + " <" + shell_quote(stdin_path);
    const int status = std::system(cmd.c_str());
    CommandResult r;
    r.exited = status != -1 && WIFEXITED(status);
    r.exit_code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    return r;
}

// Runs `LRNN_BINARY args` through the shell (args must be shell-quoted by the caller), after
// the shell words `env` (variable settings, or a launcher such as mpirun), with stdin from
// the file stdin_path.
inline CommandResult run_lrnn(const std::string& args, const std::string& env = "",
                              const std::string& stdin_path = "/dev/null") {
    return run_shell(env + " " + std::string(LRNN_BINARY) + " " + args, stdin_path);
}

// Runs LRNN_BINARY with each of `args` as one argument (quoted here), stdin from stdin_path.
inline CommandResult run_lrnn_args(const std::vector<std::string>& args,
                                   const std::string& stdin_path = "/dev/null") {
    std::string command = shell_quote(LRNN_BINARY);
    // Appended piece by piece: `"literal" + std::string&&` trips a GCC 12 -Wrestrict false
    // positive.
    for (const std::string& a : args) {
        command += ' ';
        command += shell_quote(a);
    }
    return run_shell(command, stdin_path);
}

}  // namespace lrnn::test
