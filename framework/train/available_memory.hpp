#pragma once
// How much memory a run may still allocate: the least of the kernel's MemAvailable
// (/proc/meminfo), what any cgroup limit leaves (v2 memory.max - memory.current at each level,
// v1 memory.limit_in_bytes - memory.usage_in_bytes) and LRNN_MEMORY_LIMIT_BYTES, a cap for
// tests and operators (docs/config.md). The up-front memory check of train/run_start.cpp
// compares a model's needs with it.

#include <cstdint>
#include <optional>
#include <string>

namespace lrnn {

struct AvailableMemory {
    double bytes = 0;
    std::string source;  // which limit is the least: "MemAvailable", "cgroup memory.max", ...
};

// Nothing if no limit can be read (then no check is made). UserError for a malformed
// LRNN_MEMORY_LIMIT_BYTES.
std::optional<AvailableMemory> available_memory();

}  // namespace lrnn
