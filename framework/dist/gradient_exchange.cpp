#include "dist/gradient_exchange.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>

namespace lrnn {

ReduceMode reduce_mode(const std::string& name) { return name == "fast" ? ReduceMode::Fast : ReduceMode::Exact; }

GradientExchange::GradientExchange(Communicator& comm, ReduceMode mode, std::size_t values)
    : comm_(comm), mode_(mode), values_(values), rebuild_(values), batch_sum_(values, 0.0f) {
    counts_.resize(std::size_t(comm.size()));
    offsets_.resize(std::size_t(comm.size()));
}

std::string GradientExchange::describe() const {
    const std::string ranks = std::to_string(comm_.size()) + " MPI ranks";
    if (mode_ == ReduceMode::Exact)
        return "distributed: " + ranks + ", dist.reduce=exact (bit-identical to one process for any number of "
               "ranks and threads)";
    return "distributed: " + ranks + ", dist.reduce=fast (MPI_Allreduce; results depend on the rank count in the "
           "last bits)";
}

bool GradientExchange::gathers_subtrees() const { return comm_.distributed() && mode_ == ReduceMode::Exact; }

std::span<const TreeNode> GradientExchange::start_step(std::size_t n) {
    n_ = n;
    nodes_.clear();
    if (!comm_.distributed()) {
        if (n > 0) nodes_.push_back({0, n});
        losses_.assign(nodes_.size(), LossSums{});
        return nodes_;
    }
    ++steps_;
    const int me = comm_.rank();
    if (!gathers_subtrees()) {
        const TreeNode share = rank_share(n, comm_.size(), me);
        if (share.lo < share.hi) nodes_.push_back(share);
        losses_.assign(nodes_.size(), LossSums{});
        return nodes_;
    }
    // Every rank's subtrees follow from (n, ranks) alone, so only the sums travel.
    for (int q = 0; q < comm_.size(); ++q) {
        offsets_[q] = int(nodes_.size());
        maximal_subtrees(n, rank_share(n, comm_.size(), q), nodes_);
        counts_[q] = int(nodes_.size()) - offsets_[q];
    }
    if (sums_.size() < nodes_.size() * values_) sums_.resize(nodes_.size() * values_);
    losses_.assign(nodes_.size(), LossSums{});
    return std::span<const TreeNode>(nodes_).subspan(std::size_t(offsets_[me]), std::size_t(counts_[me]));
}

std::span<float> GradientExchange::node_sum(std::size_t k) {
    if (!gathers_subtrees()) {
        assert(k == 0 && k < nodes_.size());
        return batch_sum_;  // the one node's sum is where the batch's sum ends up
    }
    assert(k < std::size_t(counts_[comm_.rank()]));
    return std::span<float>(sums_).subspan((std::size_t(offsets_[comm_.rank()]) + k) * values_, values_);
}

void GradientExchange::set_node_loss(std::size_t k, const LossSums& loss) {
    losses_[gathers_subtrees() ? std::size_t(offsets_[comm_.rank()]) + k : k] = loss;
}

LossSums GradientExchange::combine() {
    if (!comm_.distributed()) {
        if (nodes_.empty()) std::fill(batch_sum_.begin(), batch_sum_.end(), 0.0f);
        return nodes_.empty() ? LossSums{} : losses_[0];
    }
    const auto start = std::chrono::steady_clock::now();
    const LossSums loss = gathers_subtrees() ? combine_exact() : combine_fast();
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return loss;
}

LossSums GradientExchange::combine_exact() {
    if (loss_values_.size() < nodes_.size() * 3) loss_values_.resize(nodes_.size() * 3);
    const int me = comm_.rank();
    for (int k = offsets_[me]; k < offsets_[me] + counts_[me]; ++k) {
        const LossSums& loss = losses_[std::size_t(k)];
        double* l = loss_values_.data() + std::size_t(k) * 3;
        l[0] = loss.optimized, l[1] = loss.plain, l[2] = double(loss.count);  // counts < 2^53: exact
    }
    const std::span<float> sums(sums_.data(), nodes_.size() * values_);
    comm_.gather_blocks(sums, values_, counts_, offsets_);
    comm_.gather_blocks(std::span<double>(loss_values_.data(), nodes_.size() * 3), 3, counts_, offsets_);
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const double* l = loss_values_.data() + k * 3;
        losses_[k] = LossSums{l[0], l[1], std::size_t(l[2])};
    }
    return rebuild_.sum(n_, nodes_, sums, losses_, batch_sum_);
}

LossSums GradientExchange::combine_fast() {
    LossSums loss;
    if (nodes_.empty()) std::fill(batch_sum_.begin(), batch_sum_.end(), 0.0f);  // more ranks than chunks
    else loss = losses_[0];
    // Open MPI's allreduce algorithms (recursive doubling, ring, reduce + broadcast) give every
    // rank the same bits, as each pairwise float addition is commutative; so the ranks' AdamW
    // steps stay identical even though the sum depends on the rank count.
    comm_.sum(std::span<float>(batch_sum_));
    double l[3] = {loss.optimized, loss.plain, double(loss.count)};
    comm_.sum(std::span<double>(l, 3));
    return LossSums{l[0], l[1], std::size_t(l[2])};
}

}  // namespace lrnn
