#pragma once
// The MPI environment of one `lrnn train` process, as an RAII object (docs/distributed.md).
//
// Launched by mpirun or srun (seen in the environment), the constructor initialises MPI and
// the destructor finalises it; otherwise the process is a single rank and no MPI call is ever
// made, so a plain `lrnn train` behaves exactly as it would without MPI. Every collective
// below must be called by all ranks in the same order; for a single process each one is the
// identity. No MPI type appears here, so the header compiles without MPI (LRNN_HAVE_MPI).

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace lrnn {

// Thrown on every rank at the same point with the same cause (e.g. the ranks disagree on the
// config): the ranks stop together, finalise MPI and exit 2 like any other bad input. Any
// other exception that escapes a rank of a multi-rank run aborts the whole job instead,
// because the other ranks would wait for it forever.
class CollectiveError : public UserError {
public:
    using UserError::UserError;
};

// What the environment says about a launch by mpirun/srun: the number of ranks (1 when not
// launched by one, or when only a PMIx rank without a size is visible) and whether it was.
struct LaunchEnvironment {
    bool launched = false;
    int size_hint = 1;
};
LaunchEnvironment launch_environment();

class Communicator {
public:
    // MPI_Init when launched by mpirun/srun; UserError if that needs MPI and it is not built.
    Communicator();
    ~Communicator();
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool is_root() const { return rank_ == 0; }
    bool distributed() const { return size_ > 1; }
    // "rank 1 of 2: " for messages of a multi-rank run, "" otherwise.
    std::string prefix() const;

    // The largest of the ranks' values, on every rank.
    int max_over_ranks(int value);
    // Rank 0's value, on every rank.
    int from_root(int value);
    // Every rank's text, in rank order.
    std::vector<std::string> gather_texts(const std::string& text);
    // In place, in blocks of `block` values: rank q's part of `all` is blocks
    // [offsets[q], offsets[q] + counts[q]); each rank has written its own part, and afterwards
    // every rank holds all of them. Counting blocks, not values, keeps MPI's int counts far
    // from overflowing for large models.
    void gather_blocks(std::span<float> all, std::size_t block, std::span<const int> counts,
                       std::span<const int> offsets);
    void gather_blocks(std::span<double> all, std::size_t block, std::span<const int> counts,
                       std::span<const int> offsets);
    // Elementwise sum over the ranks, in place.
    void sum(std::span<float> values);
    void sum(std::span<double> values);

    // Ends every rank of the job with this exit code (MPI_Abort); for a single process, exit().
    [[noreturn]] void abort(int exit_code);

private:
    bool mpi_ = false;  // MPI was initialised by this object
    int rank_ = 0;
    int size_ = 1;
};

}  // namespace lrnn
