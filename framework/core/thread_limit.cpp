#include "core/thread_limit.hpp"

#include <tbb/info.h>

namespace lrnn {

int worker_threads(int requested) { return requested > 0 ? requested : tbb::info::default_concurrency(); }

ThreadLimit::ThreadLimit(int requested)
    : threads_(worker_threads(requested)),
      control_(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads_)) {}

}  // namespace lrnn
