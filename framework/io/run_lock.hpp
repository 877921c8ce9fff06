#pragma once
// One `lrnn train` per run directory at a time. Two processes training into the same run
// (two --resume of one run, or a --force over a run still training) would interleave their
// metrics and checkpoints; the second one is refused instead, naming the first one's pid.
// An advisory flock on RUN_DIR/.lock: released by the kernel when the process ends, however
// it ends, so a killed run never leaves a stale lock behind.

#include <string>

namespace lrnn {

class RunLock {
public:
    // Locks dir/.lock (creating it). UserError if another process holds it; `activity` says
    // what that process is doing in the message ("is being trained by another lrnn train").
    explicit RunLock(const std::string& dir, const std::string& activity = "is being trained by another lrnn train");
    ~RunLock();
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;

private:
    int fd_ = -1;
};

// The same flock on DIR/.lock, but waiting for its holder instead of refusing: several
// processes preparing the same token stores at once (the ranks of one job, parallel runs on
// one corpus) take turns, and each after the first finds the stores written.
class WaitingLock {
public:
    explicit WaitingLock(const std::string& dir);
    ~WaitingLock();
    WaitingLock(const WaitingLock&) = delete;
    WaitingLock& operator=(const WaitingLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace lrnn
