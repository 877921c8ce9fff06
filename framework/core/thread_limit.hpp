#pragma once
// The one place a command sets how many worker threads its parallel loops use (train.threads,
// eval --threads). Every parallel loop in lrnn is a oneTBB loop (train/batch_gradient,
// train/adamw, train/evaluation, dist/batch_tree); while a ThreadLimit lives, TBB's workers are
// capped at its count. The count changes speed only, never a result: every parallel sum is
// split by the data, not by the threads.

#include <tbb/global_control.h>

namespace lrnn {

// `requested` worker threads, or all cores for 0.
int worker_threads(int requested);

class ThreadLimit {
public:
    explicit ThreadLimit(int requested);
    int threads() const { return threads_; }

private:
    int threads_;
    tbb::global_control control_;
};

}  // namespace lrnn
