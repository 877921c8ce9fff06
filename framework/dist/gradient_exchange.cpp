#include "dist/gradient_exchange.hpp"

#include <algorithm>
#include <chrono>

namespace lrnn {

ReduceMode reduce_mode(const std::string& name) { return name == "fast" ? ReduceMode::Fast : ReduceMode::Exact; }

GradientExchange::GradientExchange(Communicator& comm, ReduceMode mode, std::size_t parameters)
    : comm_(comm), mode_(mode), parameters_(parameters), rebuild_(parameters) {
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

LossSums GradientExchange::compute(BatchGradient& batch, const Parameters<float>& params,
                                   std::span<const std::span<const TokenId>> chunks, double label_smoothing,
                                   double grad_scale) {
    if (!comm_.distributed()) return batch.compute(params, chunks, 0, chunks.size(), label_smoothing, grad_scale);
    ++steps_;
    return mode_ == ReduceMode::Exact ? exact(batch, params, chunks, label_smoothing, grad_scale)
                                      : fast(batch, params, chunks, label_smoothing, grad_scale);
}

LossSums GradientExchange::exact(BatchGradient& batch, const Parameters<float>& params,
                                 std::span<const std::span<const TokenId>> chunks, double label_smoothing,
                                 double grad_scale) {
    const std::size_t n = chunks.size(), P = parameters_;
    const int R = comm_.size(), me = comm_.rank();
    // Every rank's subtrees follow from (n, R) alone, so only the sums travel.
    nodes_.clear();
    for (int q = 0; q < R; ++q) {
        offsets_[q] = int(nodes_.size());
        maximal_subtrees(n, rank_share(n, R, q), nodes_);
        counts_[q] = int(nodes_.size()) - offsets_[q];
    }
    if (sums_.size() < nodes_.size() * P) sums_.resize(nodes_.size() * P);
    if (loss_values_.size() < nodes_.size() * 3) loss_values_.resize(nodes_.size() * 3);
    for (int k = offsets_[me]; k < offsets_[me] + counts_[me]; ++k) {
        const TreeNode node = nodes_[std::size_t(k)];
        const LossSums loss = batch.compute(params, chunks, node.lo, node.hi, label_smoothing, grad_scale);
        std::copy_n(batch.gradient().data(), P, sums_.data() + std::size_t(k) * P);
        double* l = loss_values_.data() + std::size_t(k) * 3;
        l[0] = loss.optimized, l[1] = loss.plain, l[2] = double(loss.count);  // counts < 2^53: exact
    }

    const auto start = std::chrono::steady_clock::now();
    const std::span<float> sums(sums_.data(), nodes_.size() * P);
    comm_.gather_blocks(sums, P, counts_, offsets_);
    comm_.gather_blocks(std::span<double>(loss_values_.data(), nodes_.size() * 3), 3, counts_, offsets_);
    losses_.resize(nodes_.size());
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        const double* l = loss_values_.data() + k * 3;
        losses_[k] = LossSums{l[0], l[1], std::size_t(l[2])};
    }
    const LossSums loss = rebuild_.sum(n, nodes_, sums, losses_, batch.gradient());
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return loss;
}

LossSums GradientExchange::fast(BatchGradient& batch, const Parameters<float>& params,
                                std::span<const std::span<const TokenId>> chunks, double label_smoothing,
                                double grad_scale) {
    const TreeNode share = rank_share(chunks.size(), comm_.size(), comm_.rank());
    LossSums loss;
    if (share.lo < share.hi) loss = batch.compute(params, chunks, share.lo, share.hi, label_smoothing, grad_scale);
    else std::fill(batch.gradient().begin(), batch.gradient().end(), 0.0f);  // more ranks than chunks

    const auto start = std::chrono::steady_clock::now();
    // Open MPI's allreduce algorithms (recursive doubling, ring, reduce + broadcast) give every
    // rank the same bits, as each pairwise float addition is commutative; so the ranks' AdamW
    // steps stay identical even though the sum depends on the rank count.
    comm_.sum(batch.gradient());
    double l[3] = {loss.optimized, loss.plain, double(loss.count)};
    comm_.sum(std::span<double>(l, 3));
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return LossSums{l[0], l[1], std::size_t(l[2])};
}

}  // namespace lrnn
