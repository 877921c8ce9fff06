// Training across MPI ranks (docs/distributed.md): the batch tree split over ranks and rebuilt
// (in-process, no MPI), and the real binary under `mpirun --oversubscribe`: exact mode is
// bit-identical to one process for any rank and thread count, fast mode is close, resume works
// across a change in rank count, a dead rank or a mismatched config stops every rank.
// These tests need mpirun (scripts/setup installs Open MPI): without it they fail, never skip.

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <tbb/global_control.h>

#include "cli_util.hpp"
#include "dist/batch_tree.hpp"
#include "dist/rank_agreement.hpp"
#include "test_util.hpp"
#include "train/batch_gradient.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"
#include "tiny_run.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;
using test::run_lrnn;

// ---- The batch tree across ranks (pure) ----

bool is_tree_node(std::size_t n, TreeNode node) {
    std::size_t lo = 0, hi = n;
    while (true) {
        if (lo == node.lo && hi == node.hi) return true;
        if (hi - lo == 1) return false;
        const std::size_t mid = lo + (hi - lo) / 2;
        if (node.hi <= mid) hi = mid;
        else if (node.lo >= mid) lo = mid;
        else return false;
    }
}

// The parent of a tree node (not the root).
TreeNode parent_of(std::size_t n, TreeNode node) {
    TreeNode p{0, n};
    while (true) {
        const std::size_t mid = p.lo + (p.hi - p.lo) / 2;
        const TreeNode left{p.lo, mid}, right{mid, p.hi};
        if (left == node || right == node) return p;
        p = node.hi <= mid ? left : right;
    }
}

TEST(DistributedTree, SharesAreContiguousAndBalanced) {
    for (std::size_t n = 1; n <= 20; ++n)
        for (int ranks = 1; ranks <= 7; ++ranks) {
            std::size_t at = 0;
            for (int r = 0; r < ranks; ++r) {
                const TreeNode s = rank_share(n, ranks, r);
                EXPECT_EQ(s.lo, at);
                const std::size_t size = s.hi - s.lo;
                EXPECT_TRUE(size == n / ranks || size == n / ranks + 1) << n << " " << ranks << " " << r;
                at = s.hi;
            }
            EXPECT_EQ(at, n);
        }
}

TEST(DistributedTree, MaximalSubtreesPartitionEachShare) {
    std::mt19937 rng(7);
    for (std::size_t n = 1; n <= 40; ++n)
        for (int trial = 0; trial < 30; ++trial) {
            std::size_t a = rng() % (n + 1), b = rng() % (n + 1);
            if (a > b) std::swap(a, b);
            std::vector<TreeNode> nodes;
            maximal_subtrees(n, {a, b}, nodes);
            std::size_t at = a;
            for (const TreeNode& node : nodes) {
                EXPECT_EQ(node.lo, at) << "n " << n << " share [" << a << ", " << b << ")";
                EXPECT_LT(node.lo, node.hi);
                EXPECT_TRUE(is_tree_node(n, node));
                // Maximal: its parent reaches outside the share (or it is the root).
                if (node != TreeNode{0, n}) {
                    const TreeNode p = parent_of(n, node);
                    EXPECT_TRUE(p.lo < a || p.hi > b) << "[" << node.lo << ", " << node.hi << ") is not maximal";
                }
                at = node.hi;
            }
            EXPECT_EQ(at, b);
            // The canonical decomposition: at most two nodes per tree level.
            EXPECT_LE(nodes.size(), 2 * std::size_t(std::ceil(std::log2(double(n)) + 1)));
        }
}

// Each "rank" computes its maximal subtrees with BatchGradient; TreeRebuild adds the rest.
// Against BatchGradient over the whole batch: bit-identical gradient and losses.
void expect_rebuild_matches(const Parameters<float>& p, const test::RandomBatch& b, const std::vector<TreeNode>& shares) {
    const std::size_t n = b.chunks.size(), P = p.values.size();
    const double scale = mean_loss_scale(b.chunks);
    BatchGradient whole(p.config(), p.config().ctx_len);
    const LossSums expected = whole.compute(p, b.chunks, 0, n, 0.1, scale);

    std::vector<TreeNode> nodes;
    for (const TreeNode& s : shares) maximal_subtrees(n, s, nodes);
    std::vector<float> sums(nodes.size() * P);
    std::vector<LossSums> losses;
    BatchGradient part(p.config(), p.config().ctx_len);
    for (std::size_t k = 0; k < nodes.size(); ++k) {
        losses.push_back(part.compute(p, b.chunks, nodes[k].lo, nodes[k].hi, 0.1, scale));
        std::copy_n(part.gradient().data(), P, sums.data() + k * P);
    }
    TreeRebuild rebuild(P);
    std::vector<float> out(P, -1.0f);
    for (int again = 0; again < 2; ++again) {  // scratch buffers reused: same result
        const LossSums loss = rebuild.sum(n, nodes, sums, losses, out);
        std::string where = "n " + std::to_string(n) + " shares";
        for (const TreeNode& s : shares) where += " [" + std::to_string(s.lo) + "," + std::to_string(s.hi) + ")";
        EXPECT_EQ(0, std::memcmp(out.data(), whole.gradient().data(), P * sizeof(float))) << where;
        EXPECT_EQ(loss.optimized, expected.optimized) << where;
        EXPECT_EQ(loss.plain, expected.plain) << where;
        EXPECT_EQ(loss.count, expected.count) << where;
    }
}

TEST(DistributedTree, RebuildIsBitIdenticalToOneProcess) {
    // One thread: the subject here is the split over ranks and the rebuild; that BatchGradient
    // itself does not depend on the thread count is train_test's (BatchGradient.*).
    tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
    const ModelConfig c = test::tiny_config();
    const auto p = test::noisy_parameters<float>(c, 11, 0.2);
    for (std::size_t n : {1, 2, 3, 5, 6, 7, 8, 11}) {
        const test::RandomBatch b(c, n, 100 + n);
        for (int ranks : {1, 2, 3, 4, 5}) {
            std::vector<TreeNode> shares;
            for (int r = 0; r < ranks; ++r) shares.push_back(rank_share(n, ranks, r));
            expect_rebuild_matches(p, b, shares);
        }
    }
    // Uneven shares that follow no tree boundary.
    const test::RandomBatch b(c, 11, 7);
    expect_rebuild_matches(p, b, {{0, 1}, {1, 8}, {8, 11}});
    expect_rebuild_matches(p, b, {{0, 4}, {4, 5}, {5, 10}, {10, 11}});
}

TEST(DistributedTree, RebuildRefusesNodesThatDoNotPartitionTheTree) {
    const std::size_t P = 4;
    TreeRebuild rebuild(P);
    std::vector<float> out(P), sums(3 * P, 1.0f);
    const std::vector<LossSums> losses(3);
    // [0,6) splits at 3: [0,2) + [2,6) is a partition, but [2,6) is no node of the tree.
    const std::vector<TreeNode> not_nodes = {{0, 2}, {2, 6}};
    EXPECT_THROW(rebuild.sum(6, not_nodes, std::span(sums).first(2 * P), std::span(losses).first(2), out),
                 std::logic_error);
    const std::vector<TreeNode> gap = {{0, 3}, {4, 6}};
    EXPECT_THROW(rebuild.sum(6, gap, std::span(sums).first(2 * P), std::span(losses).first(2), out), std::logic_error);
    const std::vector<TreeNode> extra = {{0, 3}, {3, 6}, {3, 6}};
    EXPECT_THROW(rebuild.sum(6, extra, sums, losses, out), std::logic_error);
    const std::vector<TreeNode> fine = {{0, 3}, {3, 6}};
    const LossSums l = rebuild.sum(6, fine, std::span(sums).first(2 * P), std::span(losses).first(2), out);
    EXPECT_EQ(out, std::vector<float>(P, 2.0f));
    EXPECT_EQ(l.count, 0u);
}

TEST(DistributedAgreement, FirstConfigDifferenceNamesTheKey) {
    const std::string a = "run:\n  name: x\ntrain:\n  epochs: 1\n  lr: 0.01\n";
    const std::string b = "run:\n  name: x\ntrain:\n  epochs: 1\n  lr: 0.02\n";
    EXPECT_EQ(first_config_difference(b, a, 1), "train.lr (0.02 on rank 1, 0.01 on rank 0)");
    EXPECT_EQ(first_config_difference(a, a, 1), "");
}

// ---- The real binary under mpirun ----

#if defined(__SANITIZE_ADDRESS__)  // GCC
#define LRNN_TEST_ASAN 1
#elif defined(__has_feature)  // clang
#if __has_feature(address_sanitizer)
#define LRNN_TEST_ASAN 1
#endif
#endif

// As root, Open MPI refuses to start without these.
#if defined(LRNN_TEST_ASAN)
// Open MPI's plugins leave allocations behind at exit and are unloaded by then, so their leak
// reports cannot be suppressed by name: no leak check in the ranks (the plain runs in these
// tests still check the same training code for leaks; every other check stays on).
constexpr const char* kMpiEnv =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0";
#else
constexpr const char* kMpiEnv = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1";
#endif

void require_mpirun() {
    ASSERT_EQ(0, std::system("command -v mpirun >/dev/null 2>&1"))
        << "mpirun is not installed: run scripts/setup (Open MPI); the distributed tests need it";
}

struct DistRun {
    test::TempDir temp;
    fs::path dir;
    explicit DistRun(const std::string& name) : temp(name) {
        dir = temp.path();
        test::write_corpus_slice(dir, 20000);
        write_config("tiny.yaml", "0.01");
        fs::create_directories(dir / "ompi");
    }

    // `mpirun` with a wall-clock limit, so that a hang fails the test instead of blocking CI.
    // Open MPI keeps its session files under one folder per user and host in $TMPDIR; two
    // mpiruns starting at once (ctest -j) can trip over each other creating it
    // ("orte_session_dir failed"), so each test's mpiruns get their own (Open MPI 4: ORTE's
    // orte_tmpdir_base; 5: PRRTE's prte_tmpdir_base).
    std::string mpirun(int ranks, int limit_s = 60) const {
        const std::string session = test::shell_quote((dir / "ompi").string());
        return std::string(kMpiEnv) + " OMPI_MCA_orte_tmpdir_base=" + session +
               " PRTE_MCA_prte_tmpdir_base=" + session + " timeout " + std::to_string(limit_s) +
               " mpirun --oversubscribe --bind-to none -np " + std::to_string(ranks);
    }

    // `lrnn train` on `ranks` ranks (0: plain, no mpirun).
    CommandResult train(int ranks, const std::string& args) const {
        const std::string cmd = "train " + args + " --no-sample";
        return ranks == 0 ? run_lrnn(cmd) : run_lrnn(cmd, mpirun(ranks));
    }

    void write_config(const std::string& name, const std::string& lr) const {
        std::ofstream(dir / name) << "run: {dir: " << (dir / "runs").string() << ", seed: 5}\n"
                                  << "data: {path: corpus.txt}\n"
                                  << "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, decay_lora_rank: 2, n_mem_slots: 2}\n"
                                  << "train: {max_steps: 6, batch_chunks: 6, lr: " << lr
                                  << ", eval_every: 3, eval_tokens: 256, log_every: 1, checkpoint_every: 3,"
                                  << " keep_checkpoints: 5, threads: 1}\n";
    }
    std::string config(const std::string& name = "tiny.yaml") const { return (dir / name).string(); }
    std::string run_dir(const std::string& name) const { return (dir / "runs" / name).string(); }
    Checkpoint checkpoint(const std::string& name, std::int64_t step) const {
        return read_checkpoint(checkpoint_path(run_dir(name), step));
    }
};

void expect_same_floats(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float))) << what << ": not bit-identical";
}

void expect_same_state(const Checkpoint& a, const Checkpoint& b, const std::string& what) {
    expect_same_floats(a.params, b.params, what + " (parameters)");
    expect_same_floats(a.adam.m, b.adam.m, what + " (Adam m)");
    expect_same_floats(a.adam.v, b.adam.v, what + " (Adam v)");
    EXPECT_EQ(a.progress.step, b.progress.step) << what;
    EXPECT_EQ(a.progress.tokens_seen, b.progress.tokens_seen) << what;
}

int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

TEST(Distributed, ExactIsBitIdenticalForAnyRanksAndThreads) {
    require_mpirun();
    DistRun run("exact");
    const CommandResult plain = run.train(0, run.config() + " run.name=plain");
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.err.find("distributed"), std::string::npos) << "a plain run knows nothing of MPI";
    const CommandResult one = run.train(1, run.config() + " run.name=one train.threads=2");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const CommandResult two = run.train(2, run.config() + " run.name=two");
    ASSERT_EQ(two.exit_code, 0) << two.err;
    // Rank 0 alone reports: the mode once, one summary, the exchange time.
    EXPECT_EQ(count(two.err, "distributed: 2 MPI ranks, dist.reduce=exact"), 1) << two.err;
    EXPECT_EQ(count(two.err, "done: 6 steps"), 1) << two.err;
    EXPECT_EQ(count(two.err, "eval at step 6"), 1) << two.err;
    EXPECT_EQ(count(two.err, "gradient exchange: "), 1) << two.err;

    const Checkpoint reference = run.checkpoint("plain", 6);
    expect_same_state(run.checkpoint("one", 6), reference, "1 rank x 2 threads vs plain 1 thread");
    expect_same_state(run.checkpoint("two", 6), reference, "2 ranks x 1 thread vs plain 1 thread");
    expect_same_state(run.checkpoint("two", 3), run.checkpoint("plain", 3), "2 ranks at step 3");
    // The same losses, hence the same evaluation.
    EXPECT_EQ(run.checkpoint("two", 6).progress.best_val_loss, reference.progress.best_val_loss);
}

TEST(Distributed, FastIsCloseToExact) {
    require_mpirun();
    DistRun run("fast");
    const CommandResult exact = run.train(0, run.config() + " run.name=exact");
    ASSERT_EQ(exact.exit_code, 0) << exact.err;
    const CommandResult fast = run.train(2, run.config() + " run.name=fast dist.reduce=fast");
    ASSERT_EQ(fast.exit_code, 0) << fast.err;
    EXPECT_NE(fast.err.find("dist.reduce=fast"), std::string::npos) << fast.err;
    const auto a = run.checkpoint("exact", 6).params, b = run.checkpoint("fast", 6).params;
    ASSERT_EQ(a.size(), b.size());
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        norm += double(a[i]) * a[i];
    }
    EXPECT_GT(norm, 0.0);
    EXPECT_LE(std::sqrt(diff), 1e-6 * std::sqrt(norm));
}

TEST(Distributed, ResumeAcrossAChangeInRankCount) {
    require_mpirun();
    DistRun run("resume");
    const CommandResult whole = run.train(0, run.config() + " run.name=whole");
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    const Checkpoint reference = run.checkpoint("whole", 6);

    // Checkpointed by 2 ranks at step 3, continued by 1 process.
    const CommandResult by_two = run.train(2, run.config() + " run.name=two_then_one");
    ASSERT_EQ(by_two.exit_code, 0) << by_two.err;
    const std::string two_at_3 = checkpoint_path(run.run_dir("two_then_one"), 3);
    const CommandResult one = run_lrnn("train --resume " + two_at_3 + " --no-sample");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_NE(one.err.find("resuming from"), std::string::npos);
    expect_same_state(run.checkpoint("two_then_one", 6), reference, "2 ranks to step 3, then 1");

    // Checkpointed by 1 process at step 3, continued by 2 ranks.
    const CommandResult first = run.train(0, run.config() + " run.name=one_then_two");
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const std::string one_at_3 = checkpoint_path(run.run_dir("one_then_two"), 3);
    const CommandResult two = run_lrnn("train --resume " + one_at_3 + " --no-sample", run.mpirun(2));
    ASSERT_EQ(two.exit_code, 0) << two.err;
    EXPECT_EQ(count(two.err, "resuming from"), 1) << two.err;
    expect_same_state(run.checkpoint("one_then_two", 6), reference, "1 process to step 3, then 2 ranks");
}

TEST(Distributed, KilledRankStopsTheOthers) {
    require_mpirun();
    DistRun run("killed");
    const fs::path pids = run.dir / "pids";
    fs::create_directories(pids);
    // Long enough to be killed mid-run; the timeout only catches a hang.
    CommandResult result;
    std::chrono::steady_clock::time_point ended;
    std::thread job([&] {
        result = run_lrnn("train " + run.config() +
                              " run.name=killed train.epochs=1000 train.max_steps=0 train.eval_every=0"
                              " train.checkpoint_every=0 --no-sample",
                          "LRNN_TEST_PID_DIR=" + pids.string() + " " + run.mpirun(2, 120));
        ended = std::chrono::steady_clock::now();
    });
    const std::string metrics = run.run_dir("killed") + "/metrics.jsonl";
    auto lines = [&] {
        std::ifstream in(metrics);
        int n = 0;
        for (std::string line; std::getline(in, line);) ++n;
        return n;
    };
    pid_t victim = 0;
    for (int i = 0; i < 600 && (victim == 0 || lines() < 5); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::ifstream in(pids / "rank-1.pid");
        in >> victim;
    }
    if (victim <= 0 || lines() < 5) job.join();  // nothing to kill: let the job end, then fail
    ASSERT_GT(victim, 0) << "rank 1 never wrote its pid";
    ASSERT_GE(lines(), 5) << "training never got going";
    const int kill_rc = ::kill(victim, SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    job.join();
    ASSERT_EQ(kill_rc, 0) << "rank 1 (pid " << victim << ") was gone before the test killed it";
    const double seconds = std::chrono::duration<double>(ended - killed).count();
    EXPECT_NE(result.exit_code, 0) << result.err;
    EXPECT_NE(result.exit_code, 124) << "mpirun hung until the timeout";
    EXPECT_LT(seconds, 30.0) << "the other rank took too long to stop";
    // mpirun names the rank that died and how.
    EXPECT_NE(result.err.find("rank 1"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("signal 9"), std::string::npos) << result.err;
}

TEST(Distributed, MismatchedConfigStopsEveryRankBeforeTraining) {
    require_mpirun();
    DistRun run("mismatch");
    run.write_config("other.yaml", "0.02");
    // MPMD: rank 0 and rank 1 run different config files (same run name).
    const std::string bin = LRNN_BINARY;
    const CommandResult r = run_lrnn("train " + run.config() + " run.name=m --no-sample : -np 1 " + bin + " train " +
                                         run.config("other.yaml") + " run.name=m --no-sample",
                                     run.mpirun(1));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    for (const char* rank : {"rank 0 of 2", "rank 1 of 2"}) {
        // (main prints "lrnn train: error: " in separate writes, which mpirun may interleave
        // between the ranks; the message itself is one write.)
        const std::string line = std::string(rank) + ": the ranks would train different things, so none trains: rank 1's config differs "
                                 "from rank 0's at train.lr (0.02 on rank 1, 0.01 on rank 0)";
        EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(run.run_dir("m"))) << "nothing may be written when the ranks disagree";

    // A rank that cannot start at all: every rank says which and why.
    const CommandResult missing = run_lrnn("train " + run.config() + " run.name=m --no-sample : -np 1 " + bin +
                                               " train " + (run.dir / "nowhere.yaml").string() + " --no-sample",
                                           run.mpirun(1));
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
    EXPECT_EQ(count(missing.err, "stopping, as a rank could not start: rank 1: "), 2) << missing.err;
    EXPECT_NE(missing.err.find("nowhere.yaml: config file not found"), std::string::npos) << missing.err;
    EXPECT_FALSE(fs::exists(run.run_dir("m")));
}

}  // namespace
}  // namespace lrnn
