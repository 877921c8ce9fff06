#pragma once
// SIGINT / SIGTERM during training: the handler only records which one arrived; the training
// loop looks between steps, saves a checkpoint and stops (exit code 128 + signal).

namespace lrnn {

// Installs the handlers for its lifetime and restores the previous ones after. One at a time.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // The signal that arrived since construction (SIGINT or SIGTERM), 0 if none.
    int received() const;

private:
    void (*old_int_)(int);
    void (*old_term_)(int);
};

}  // namespace lrnn
