#pragma once
// Running one `lrnn train` as a child process, so that its crash, exit code or kill is a
// result to report rather than the end of the compare.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lrnn {

struct ChildExit {
    bool exited = false;  // true: `code` is the exit status; false: killed by `signal`
    int code = 0;
    int signal = 0;

    bool ok() const { return exited && code == 0; }
    // The user's Ctrl-C: the child stopped on SIGINT (trainer: exit 130 after a checkpoint).
    bool interrupted() const;
    // "exit code 2", "killed by signal 9 (Killed)".
    std::string describe() const;
};

// Starts `program args...` with stdin from /dev/null and stdout and stderr into one pipe,
// whose bytes are passed to `on_output` as they arrive; returns when the child has ended.
// The child gets default SIGINT/SIGTERM/SIGPIPE handling whatever the parent set.
// UserError if the program cannot be started.
ChildExit run_child(const std::string& program, const std::vector<std::string>& args,
                    const std::function<void(std::string_view)>& on_output);

// While alive, SIGINT does not end this process: Ctrl-C reaches the training child (same
// process group), which saves a checkpoint and exits 130; compare then writes its report
// for what is there and stops.
class IgnoreInterrupts {
public:
    IgnoreInterrupts();
    ~IgnoreInterrupts();
    IgnoreInterrupts(const IgnoreInterrupts&) = delete;
    IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;

private:
    void (*previous_)(int);
};

}  // namespace lrnn
