#include "dist/communicator.hpp"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <string>

#include "io/atomic_file.hpp"

#if LRNN_HAVE_MPI
#include <mpi.h>
#endif

namespace lrnn {

namespace {

int env_int(const char* name, int fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    return end && *end == '\0' && n >= 0 && n < (1L << 30) ? int(n) : fallback;
}

}  // namespace

LaunchEnvironment launch_environment() {
    // Open MPI's mpirun, then PMI (MPICH, srun --mpi=pmi2), then PMIx (srun --mpi=pmix), which
    // names the rank but not the size: Slurm's task count, or at least 2 for a rank above 0.
    if (const int n = env_int("OMPI_COMM_WORLD_SIZE", 0); n > 0) return {true, n};
    if (const int n = env_int("PMI_SIZE", 0); n > 0) return {true, n};
    if (std::getenv("PMIX_RANK")) {
        const int slurm = env_int("SLURM_STEP_NUM_TASKS", env_int("SLURM_NTASKS", 0));
        if (slurm > 0) return {true, slurm};
        return {true, env_int("PMIX_RANK", 0) > 0 ? 2 : 1};
    }
    return {};
}

Communicator::Communicator() {
    const LaunchEnvironment env = launch_environment();
    if (!env.launched) return;
#if LRNN_HAVE_MPI
    int initialized = 0;
    MPI_Initialized(&initialized);
    assert(!initialized && "one Communicator per process");
    // Only the main thread calls MPI; the oneTBB workers never do.
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    mpi_ = true;
    // A collective that fails (a peer died, the network broke) ends the whole job with MPI's
    // message instead of returning codes that every call site would have to check; this is
    // MPI's default for MPI_COMM_WORLD, set here so that nothing else can change it.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // Test hook: LRNN_TEST_PID_DIR=DIR makes each rank write DIR/rank-R.pid, so that a test
    // can kill one rank of a running job.
    if (const char* dir = std::getenv("LRNN_TEST_PID_DIR"); dir && *dir)
        write_file_atomically(std::string(dir) + "/rank-" + std::to_string(rank_) + ".pid",
                              std::to_string(::getpid()) + "\n");
#else
    if (env.size_hint > 1)
        throw UserError("launched as one of " + std::to_string(env.size_hint) +
                        " MPI ranks, but MPI support is not built into this lrnn: install Open MPI "
                        "(scripts/setup) and rebuild, or run lrnn without mpirun");
#endif
}

Communicator::~Communicator() {
#if LRNN_HAVE_MPI
    if (mpi_) {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
    }
#endif
}

std::string Communicator::prefix() const {
    if (!distributed()) return "";
    return "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": ";
}

int Communicator::max_over_ranks(int value) {
#if LRNN_HAVE_MPI
    if (distributed()) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
#endif
    return value;
}

int Communicator::from_root(int value) {
#if LRNN_HAVE_MPI
    if (distributed()) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    return value;
}

std::vector<std::string> Communicator::gather_texts(const std::string& text) {
    if (!distributed()) return {text};
    std::vector<std::string> texts(static_cast<std::size_t>(size_));
#if LRNN_HAVE_MPI
    if (text.size() > std::size_t(1 << 30)) throw UserError("gather_texts: text too long for MPI");
    int length = int(text.size());
    std::vector<int> lengths(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
    MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD);
    long long total = 0;
    for (int q = 0; q < size_; ++q) {
        if (total + lengths[q] > (1LL << 31) - 1) throw UserError("gather_texts: texts too long for MPI");
        offsets[q] = int(total);
        total += lengths[q];
    }
    std::string all(std::size_t(total), '\0');
    MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                   MPI_COMM_WORLD);
    for (int q = 0; q < size_; ++q) texts[q] = all.substr(std::size_t(offsets[q]), std::size_t(lengths[q]));
#endif
    return texts;
}

#if LRNN_HAVE_MPI
namespace {

// MPI_Allgatherv in place, counted in blocks of `block` elements of `type`.
void allgather_blocks(void* all, std::size_t block, MPI_Datatype type, std::span<const int> counts,
                      std::span<const int> offsets) {
    if (block > std::size_t((1LL << 31) - 1)) throw UserError("gather_blocks: block too large for MPI");
    MPI_Datatype block_type;
    MPI_Type_contiguous(int(block), type, &block_type);
    MPI_Type_commit(&block_type);
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, counts.data(), offsets.data(), block_type,
                   MPI_COMM_WORLD);
    MPI_Type_free(&block_type);
}

// MPI_Allreduce(SUM) in place, in pieces that fit MPI's int counts.
void allreduce_sum(void* values, std::size_t n, std::size_t bytes_per_value, MPI_Datatype type) {
    constexpr std::size_t kPiece = std::size_t(1) << 30;
    auto* bytes = static_cast<char*>(values);
    for (std::size_t at = 0; at < n; at += kPiece)
        MPI_Allreduce(MPI_IN_PLACE, bytes + at * bytes_per_value, int(std::min(kPiece, n - at)), type, MPI_SUM,
                      MPI_COMM_WORLD);
}

}  // namespace
#endif

void Communicator::gather_blocks(std::span<float> all, std::size_t block, std::span<const int> counts,
                                 std::span<const int> offsets) {
    assert(counts.size() == std::size_t(size_) && offsets.size() == std::size_t(size_));
#if LRNN_HAVE_MPI
    if (distributed()) allgather_blocks(all.data(), block, MPI_FLOAT, counts, offsets);
#else
    (void)all, (void)block;
#endif
}

void Communicator::gather_blocks(std::span<double> all, std::size_t block, std::span<const int> counts,
                                 std::span<const int> offsets) {
    assert(counts.size() == std::size_t(size_) && offsets.size() == std::size_t(size_));
#if LRNN_HAVE_MPI
    if (distributed()) allgather_blocks(all.data(), block, MPI_DOUBLE, counts, offsets);
#else
    (void)all, (void)block;
#endif
}

void Communicator::sum(std::span<float> values) {
#if LRNN_HAVE_MPI
    if (distributed()) allreduce_sum(values.data(), values.size(), sizeof(float), MPI_FLOAT);
#else
    (void)values;
#endif
}

void Communicator::sum(std::span<double> values) {
#if LRNN_HAVE_MPI
    if (distributed()) allreduce_sum(values.data(), values.size(), sizeof(double), MPI_DOUBLE);
#else
    (void)values;
#endif
}

void Communicator::abort(int exit_code) {
#if LRNN_HAVE_MPI
    if (mpi_) MPI_Abort(MPI_COMM_WORLD, exit_code);
#endif
    std::exit(exit_code);
}

}  // namespace lrnn
