#include "compare/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <exception>

#include "core/error.hpp"

extern char** environ;

namespace lrnn {

namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

struct SpawnActions {
    posix_spawn_file_actions_t actions;
    SpawnActions() { posix_spawn_file_actions_init(&actions); }
    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
    SpawnActions(const SpawnActions&) = delete;
    SpawnActions& operator=(const SpawnActions&) = delete;
};

struct SpawnAttributes {
    posix_spawnattr_t attr;
    SpawnAttributes() { posix_spawnattr_init(&attr); }
    ~SpawnAttributes() { posix_spawnattr_destroy(&attr); }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

// The running child, for the signal handler (which can reach nothing else): 0 when none.
volatile sig_atomic_t running_child = 0;

void forward_stop_to_child(int) {
    const pid_t pid = running_child;
    if (pid > 0) ::kill(pid, SIGINT);
}

}  // namespace

bool ChildExit::interrupted() const {
    // SIGTERM too: sent to the whole process group (a service stop, a cancelled job), it reaches
    // the trainer directly as well as through compare's forwarding.
    return (exited && (code == 128 + SIGINT || code == 128 + SIGTERM)) ||
           (!exited && (signal == SIGINT || signal == SIGTERM));
}

std::string ChildExit::describe() const {
    if (exited) return "exit code " + std::to_string(code);
    const char* name = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : "");
}

ChildExit run_child(const std::string& program, const std::vector<std::string>& args,
                    const std::function<void(std::string_view)>& on_output, const std::function<void()>& on_tick) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw UserError(std::string("cannot create a pipe: ") + std::strerror(errno));
    Fd read_end(fds[0]), write_end(fds[1]);

    SpawnActions file_actions;
    posix_spawn_file_actions_addopen(&file_actions.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&file_actions.actions, write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&file_actions.actions, write_end.get(), STDERR_FILENO);

    SpawnAttributes attributes;
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGPIPE);
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&attributes.attr, &defaults);
    posix_spawnattr_setsigmask(&attributes.attr, &empty);
    posix_spawnattr_setflags(&attributes.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    // argv: the program, then the arguments; posix_spawn wants mutable char* but does not write.
    std::vector<std::string> argv_text;
    argv_text.push_back(program);
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, program.c_str(), &file_actions.actions, &attributes.attr, argv.data(), environ);
    if (rc != 0) throw UserError("cannot start " + program + ": " + std::strerror(rc));
    write_end.reset();  // the child holds the only write end: EOF when it exits
    running_child = pid;

    // A failing consumer (e.g. a full disk under the log file) must not leave the child
    // unwaited: keep draining the pipe and rethrow once the child has been collected.
    std::exception_ptr consumer_error;
    const auto consume = [&](const auto& call) {
        if (consumer_error) return;
        try {
            call();
        } catch (...) {
            consumer_error = std::current_exception();
        }
    };
    const auto tick_every = std::chrono::milliseconds(kChildTickMilliseconds);
    auto next_tick = std::chrono::steady_clock::now() + tick_every;
    char buffer[4096];
    for (;;) {
        if (on_tick && std::chrono::steady_clock::now() >= next_tick) {
            consume(on_tick);
            next_tick = std::chrono::steady_clock::now() + tick_every;
        }
        pollfd readable{read_end.get(), POLLIN, 0};
        const int ready = ::poll(&readable, 1, on_tick ? kChildTickMilliseconds : -1);
        if (ready == 0 || (ready < 0 && errno == EINTR)) continue;  // nothing to read yet: time to tick?
        const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n > 0) {
            consume([&] { on_output(std::string_view(buffer, std::size_t(n))); });
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        break;  // EOF (or a read error: then waitpid below still collects the child)
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            running_child = 0;
            throw UserError(std::string("waitpid failed: ") + std::strerror(errno));
        }
    running_child = 0;
    if (consumer_error) std::rethrow_exception(consumer_error);
    ChildExit result;
    if (WIFEXITED(status)) result.exited = true, result.code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

ForwardStopSignals::ForwardStopSignals() {
    struct sigaction forward {};
    forward.sa_handler = forward_stop_to_child;
    sigemptyset(&forward.sa_mask);
    forward.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &forward, &previous_int_);
    ::sigaction(SIGTERM, &forward, &previous_term_);
}

ForwardStopSignals::~ForwardStopSignals() {
    ::sigaction(SIGINT, &previous_int_, nullptr);
    ::sigaction(SIGTERM, &previous_term_, nullptr);
}

}  // namespace lrnn
