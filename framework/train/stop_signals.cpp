#include "train/stop_signals.hpp"

#include <atomic>
#include <csignal>

namespace lrnn {

namespace {

// The one piece of process-wide mutable state, because a signal handler can reach nothing
// else: the number of the signal that arrived. Lock-free, so the handler may write it.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

}  // namespace

StopSignals::StopSignals() {
    g_stop_signal.store(0);
    old_int_ = std::signal(SIGINT, on_stop_signal);
    old_term_ = std::signal(SIGTERM, on_stop_signal);
}

StopSignals::~StopSignals() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
}

int StopSignals::received() const { return g_stop_signal.load(); }

}  // namespace lrnn
