#include "dist/batch_tree.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace lrnn {

namespace {

void decompose(std::size_t lo, std::size_t hi, TreeNode share, std::vector<TreeNode>& out) {
    if (hi <= share.lo || share.hi <= lo) return;  // disjoint
    if (share.lo <= lo && hi <= share.hi) {        // inside: maximal, since its parent was not
        out.push_back({lo, hi});
        return;
    }
    const std::size_t mid = lo + (hi - lo) / 2;  // the split of BatchGradient
    decompose(lo, mid, share, out);
    decompose(mid, hi, share, out);
}

std::string text(TreeNode n) { return "[" + std::to_string(n.lo) + ", " + std::to_string(n.hi) + ")"; }

}  // namespace

TreeNode rank_share(std::size_t n, int ranks, int rank) {
    const std::size_t r = std::size_t(rank), R = std::size_t(ranks);
    return {n * r / R, n * (r + 1) / R};
}

void maximal_subtrees(std::size_t n, TreeNode share, std::vector<TreeNode>& out) {
    if (n == 0 || share.lo >= share.hi) return;
    decompose(0, n, share, out);
}

LossSums TreeRebuild::sum(std::size_t n, std::span<const TreeNode> nodes, std::span<const float> sums,
                          std::span<const LossSums> losses, std::span<float> out) {
    if (n == 0 || nodes.empty() || sums.size() != nodes.size() * values_ || losses.size() != nodes.size() ||
        out.size() != values_)
        throw std::logic_error("TreeRebuild::sum: buffer sizes do not match the nodes");
    nodes_ = nodes, sums_ = sums, losses_ = losses, out_ = out, next_ = 0;
    LossSums loss;
    const float* root = node(0, n, 0, 0, loss);
    if (next_ != nodes.size())
        throw std::logic_error("TreeRebuild::sum: node " + text(nodes[next_]) + " is not a node of the tree over [0, " +
                               std::to_string(n) + ") after the ones before it");
    if (root != out.data()) std::copy_n(root, values_, out.data());
    return loss;
}

const float* TreeRebuild::node(std::size_t lo, std::size_t hi, std::size_t depth, int side, LossSums& loss) {
    // The nodes come left to right, as an in-order walk of the tree meets them.
    if (next_ < nodes_.size() && nodes_[next_] == TreeNode{lo, hi}) {
        loss = losses_[next_];
        return sums_.data() + (next_++) * values_;
    }
    if (hi - lo == 1 || next_ >= nodes_.size() || nodes_[next_].lo != lo || nodes_[next_].hi > hi)
        throw std::logic_error("TreeRebuild::sum: the nodes do not partition the tree at " + text({lo, hi}));
    const std::size_t mid = lo + (hi - lo) / 2;
    LossSums left_loss, right_loss;
    const float* left = node(lo, mid, depth + 1, 0, left_loss);
    const float* right = node(mid, hi, depth + 1, 1, right_loss);
    float* sum = depth == 0 ? out_.data() : scratch(depth, side);
    // left + right, as BatchGradient's `a[i] += b[i]` with a the left sum. Elementwise, so
    // splitting the loop over threads changes nothing in the result.
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, values_, 1 << 14), [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t i = r.begin(); i < r.end(); ++i) sum[i] = left[i] + right[i];
    });
    loss = LossSums{left_loss.optimized + right_loss.optimized, left_loss.plain + right_loss.plain,
                    left_loss.count + right_loss.count};
    return sum;
}

float* TreeRebuild::scratch(std::size_t depth, int side) {
    const std::size_t at = 2 * depth + std::size_t(side);
    if (scratch_.size() <= at) scratch_.resize(at + 1);
    if (scratch_[at].size() != values_) scratch_[at].assign(values_, 0.0f);
    return scratch_[at].data();
}

}  // namespace lrnn
