#pragma once
// The data-parallel step across MPI ranks: each rank computes its share of the batch on its
// own oneTBB workers, the ranks' sums are combined, and every rank ends with the gradient of
// the whole batch (docs/distributed.md). Two modes (config key dist.reduce):
//   exact  every rank gathers all ranks' maximal-subtree sums (dist/batch_tree.hpp) and adds
//          the top of the batch tree itself: bit-identical to one process, for any number of
//          ranks and threads; each rank receives about (subtrees of all ranks) x P floats.
//   fast   each rank sums its share, then MPI_Allreduce(SUM): one sum per rank, the usual
//          ring/tree traffic, but the float additions depend on the rank count.
// For a single process both are BatchGradient over the whole batch, with no MPI at all.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dist/batch_tree.hpp"
#include "dist/communicator.hpp"
#include "train/batch_gradient.hpp"

namespace lrnn {

enum class ReduceMode { Exact, Fast };

// "exact" | "fast" (validated by the config).
ReduceMode reduce_mode(const std::string& name);

class GradientExchange {
public:
    GradientExchange(Communicator& comm, ReduceMode mode, std::size_t parameters);

    // grad_scale * the gradient summed over all of `chunks` (the whole batch, the same on
    // every rank) into batch.gradient() on every rank; returns the summed losses.
    LossSums compute(BatchGradient& batch, const Parameters<float>& params,
                     std::span<const std::span<const TokenId>> chunks, double label_smoothing, double grad_scale);

    // One line for the start of a run: ranks and what the mode guarantees.
    std::string describe() const;
    // Wall time spent combining the ranks' sums (communication, waiting for the slowest rank,
    // and the exact mode's additions), and the steps it was spent on.
    double exchange_seconds() const { return seconds_; }
    std::int64_t steps() const { return steps_; }

private:
    LossSums exact(BatchGradient& batch, const Parameters<float>& params,
                   std::span<const std::span<const TokenId>> chunks, double label_smoothing, double grad_scale);
    LossSums fast(BatchGradient& batch, const Parameters<float>& params,
                  std::span<const std::span<const TokenId>> chunks, double label_smoothing, double grad_scale);

    Communicator& comm_;
    ReduceMode mode_;
    std::size_t parameters_;
    TreeRebuild rebuild_;
    // Per step, reused (they grow to the largest batch, then stay):
    std::vector<TreeNode> nodes_;       // every rank's maximal subtrees, rank after rank
    std::vector<int> counts_, offsets_; // per rank: its subtrees, the index of its first
    std::vector<float> sums_;           // (subtrees, P) their gradient sums
    std::vector<double> loss_values_;   // (subtrees, 3) their LossSums: optimized, plain, count
    std::vector<LossSums> losses_;
    double seconds_ = 0;
    std::int64_t steps_ = 0;
};

}  // namespace lrnn
