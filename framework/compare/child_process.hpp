#pragma once
// Running one `lrnn train` as a child process, so that its crash, exit code or kill is a
// result to report rather than the end of the compare.

#include <signal.h>

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
    // Stopped on purpose: SIGINT or SIGTERM (the trainer exits 130/143 after a checkpoint).
    bool interrupted() const;
    // "exit code 2", "killed by signal 9 (Killed)".
    std::string describe() const;
};

// How often run_child calls its `on_tick` while the child runs.
inline constexpr int kChildTickMilliseconds = 200;

// Starts `program args...` with stdin from /dev/null and stdout and stderr into one pipe,
// whose bytes are passed to `on_output` as they arrive; `on_tick` (if given) is called about
// every kChildTickMilliseconds meanwhile, e.g. to follow a file the child writes. Returns when
// the child has ended. The child gets default SIGINT/SIGTERM/SIGPIPE handling whatever the
// parent set. UserError if the program cannot be started.
ChildExit run_child(const std::string& program, const std::vector<std::string>& args,
                    const std::function<void(std::string_view)>& on_output,
                    const std::function<void()>& on_tick = {});

// While alive, SIGINT and SIGTERM do not end this process: they are passed to the training
// child as SIGINT (Ctrl-C reaches it anyway through the process group; `kill` or `timeout`
// aimed at compare alone would otherwise kill compare and orphan the child). The child saves a
// checkpoint and exits 130; compare then writes its report for what is there and stops.
class ForwardStopSignals {
public:
    ForwardStopSignals();
    ~ForwardStopSignals();
    ForwardStopSignals(const ForwardStopSignals&) = delete;
    ForwardStopSignals& operator=(const ForwardStopSignals&) = delete;

private:
    struct sigaction previous_int_ {};
    struct sigaction previous_term_ {};
};

}  // namespace lrnn
