#pragma once
// The batch tree across ranks, without MPI (so that it is tested in-process).
//
// BatchGradient sums a batch of n chunks as a fixed binary tree: node [lo, hi) splits at
// mid = lo + (hi - lo) / 2, a leaf is one chunk. Rank r owns a contiguous share of the batch.
// It computes the sums of the MAXIMAL nodes of that tree lying inside its share (the
// canonical decomposition of a range: O(log n) nodes), each with BatchGradient over the
// node's own range, which splits exactly as the same node of the whole tree does. Together
// the ranks' nodes partition [0, n); TreeRebuild then adds the nodes above them in the order
// the single process does (node = left + right, elementwise float; losses likewise in
// double), so the result is bit-identical to BatchGradient over [0, n).

#include <cstddef>
#include <span>
#include <vector>

#include "model/model.hpp"

namespace lrnn {

struct TreeNode {
    std::size_t lo = 0;
    std::size_t hi = 0;  // chunks [lo, hi) of the batch
    bool operator==(const TreeNode&) const = default;
};

// Rank `rank`'s share of a batch of n chunks over `ranks` ranks: contiguous, in rank order,
// sizes differing by at most one (empty when n < ranks).
TreeNode rank_share(std::size_t n, int ranks, int rank);

// Appends to `out`, left to right, the maximal nodes of the tree over [0, n) that lie inside
// `share` (nothing for an empty share).
void maximal_subtrees(std::size_t n, TreeNode share, std::vector<TreeNode>& out);

class TreeRebuild {
public:
    explicit TreeRebuild(std::size_t values) : values_(values) {}

    // The sum of the tree over [0, n) into `out` (values floats) and its losses, from the sums
    // of `nodes`: nodes that partition [0, n), left to right, each a node of the tree; node k's
    // gradient sum is sums[k * values, (k + 1) * values) and its losses losses[k].
    // std::logic_error if the nodes do not partition the tree that way.
    LossSums sum(std::size_t n, std::span<const TreeNode> nodes, std::span<const float> sums,
                 std::span<const LossSums> losses, std::span<float> out);

private:
    const float* node(std::size_t lo, std::size_t hi, std::size_t depth, int side, LossSums& loss);
    float* scratch(std::size_t depth, int side);

    std::size_t values_;
    // One buffer per (depth, side) of the nodes that are added here: a node's children live
    // one level deeper, so they never overwrite the buffers their parent is being built from.
    // Allocated on first use and reused every step.
    std::vector<std::vector<float>> scratch_;
    // Set for the duration of sum():
    std::span<const TreeNode> nodes_;
    std::span<const float> sums_;
    std::span<const LossSums> losses_;
    std::span<float> out_;
    std::size_t next_ = 0;  // the next node of nodes_ in left-to-right order
};

}  // namespace lrnn
