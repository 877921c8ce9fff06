#pragma once
// The data-parallel step across MPI ranks, as numbers only: the trainer computes the sums of
// the batch-tree nodes (dist/batch_tree.hpp) this rank owns and writes them where the exchange
// says; the exchange combines every rank's sums, and every rank ends with the gradient of the
// whole batch (docs/distributed.md). What a node's sum is, and how it is computed, is the
// trainer's business (train/batch_gradient.hpp): here they are spans of floats and loss sums.
// Two modes (config key dist.reduce):
//   exact  a rank's nodes are the maximal subtrees inside its share of the batch; every rank
//          gathers all ranks' node sums and adds the top of the batch tree itself:
//          bit-identical to one process, for any number of ranks and threads; each rank
//          receives about (subtrees of all ranks) x P floats.
//   fast   a rank's one node is its whole share, summed in one; then MPI_Allreduce(SUM): one
//          sum per rank, the usual ring/tree traffic, but the float additions depend on the
//          rank count.
// For a single process both are the one node [0, n), the whole batch, with no MPI at all.
//
// A step, on every rank:
//     nodes = exchange.start_step(n);
//     for k in nodes: compute node k's sum into exchange.node_sum(k), exchange.set_node_loss(k, ...)
//     loss = exchange.combine();   // exchange.gradient() now holds the batch's sum

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dist/batch_tree.hpp"
#include "dist/communicator.hpp"
#include "model/model.hpp"

namespace lrnn {

enum class ReduceMode { Exact, Fast };

// "exact" | "fast" (validated by the config).
ReduceMode reduce_mode(const std::string& name);

class GradientExchange {
public:
    // `values`: the floats in one node's sum (the parameter count).
    GradientExchange(Communicator& comm, ReduceMode mode, std::size_t values);

    // Starts a step over a batch of n chunks (the same n on every rank): the nodes whose sums
    // this rank computes, left to right; none when the mode leaves this rank no chunk.
    std::span<const TreeNode> start_step(std::size_t n);
    // Where this rank writes the sum of its k-th node (`values` floats), and its losses.
    std::span<float> node_sum(std::size_t k);
    void set_node_loss(std::size_t k, const LossSums& loss);
    // Combines every rank's node sums (a collective: every rank calls it): afterwards
    // gradient() holds the sum over the whole batch, the same bits on every rank; returns the
    // whole batch's losses.
    LossSums combine();
    std::span<float> gradient() { return batch_sum_; }

    // One line for the start of a run: ranks and what the mode guarantees.
    std::string describe() const;
    // Wall time spent combining the ranks' sums (communication, waiting for the slowest rank,
    // and the exact mode's additions), and the steps it was spent on (multi-rank runs only).
    double exchange_seconds() const { return seconds_; }
    std::int64_t steps() const { return steps_; }

private:
    // exact mode across ranks: node sums gathered from all ranks (else one node in place).
    bool gathers_subtrees() const;
    LossSums combine_exact();
    LossSums combine_fast();

    Communicator& comm_;
    ReduceMode mode_;
    std::size_t values_;
    TreeRebuild rebuild_;
    std::vector<float> batch_sum_;  // (values) the whole batch's sum; a rank's one node's, before it
    // The current step (reused; they grow to the largest batch, then stay):
    std::size_t n_ = 0;
    std::vector<TreeNode> nodes_;        // exact: every rank's maximal subtrees, rank after rank;
                                         // otherwise this rank's one node, if any
    std::vector<int> counts_, offsets_;  // exact, per rank: its subtrees, the index of its first
    std::vector<float> sums_;            // exact: (subtrees, values) their sums
    std::vector<LossSums> losses_;       // per node of nodes_
    std::vector<double> loss_values_;    // exact: (subtrees, 3) losses_ as sent: optimized, plain, count
    double seconds_ = 0;
    std::int64_t steps_ = 0;
};

}  // namespace lrnn
