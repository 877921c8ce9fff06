// Checkpoints and resume through the real binary (invariants 4 and 5 of docs/design.md):
// SIGKILL at random points, in the middle of a checkpoint write, SIGINT and SIGTERM, then
// resume: the final parameters, Adam moments and progress are bit-identical to an
// uninterrupted run, and metrics.jsonl is identical apart from its timing fields. Damaged
// checkpoints are refused and --resume RUN_DIR falls back past them; a save that cannot be
// written (file-size limit, checkpoints/ not a directory) stops with exit code 3 and leaves the
// older checkpoints loadable; resume refuses a changed corpus and overrides that would change
// the model or data; `lrnn debug logits` loads run directories and checkpoints alike.
//
// Each run trains a tiny model for 40 steps (a few tens of milliseconds), so the whole file
// stays within seconds even under the sanitizers.

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "io/checksum.hpp"
#include "io/checkpoint.hpp"
#include "io/run_directory.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

namespace lrnn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSteps = 40;

using test::read_text;
using test::write_text;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct SpawnOptions {
    std::vector<std::string> env;  // extra NAME=VALUE entries
    rlim_t file_size_limit = RLIM_INFINITY;
};

// One `lrnn` process, started with fork + execve; its stdout and stderr go to a log file.
class LrnnProcess {
public:
    LrnnProcess(const std::vector<std::string>& args, const std::string& log_path, const SpawnOptions& options = {})
        : log_path_(log_path) {
        // Everything the child needs is built before fork: after it, only async-signal-safe
        // calls (the test process may have threads).
        std::vector<std::string> argv_store{LRNN_BINARY};
        argv_store.insert(argv_store.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (std::string& a : argv_store) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> env_store;
        for (char** e = ::environ; *e; ++e) {  // environ: <unistd.h> (_GNU_SOURCE)
            const std::string entry = *e;
            if (entry.rfind("LRNN_TEST_", 0) != 0) env_store.push_back(entry);
        }
        env_store.insert(env_store.end(), options.env.begin(), options.env.end());
        std::vector<char*> envp;
        for (std::string& e : env_store) envp.push_back(e.data());
        envp.push_back(nullptr);
        const rlimit limit{options.file_size_limit, options.file_size_limit};
        const bool set_limit = options.file_size_limit != RLIM_INFINITY;

        pid_ = ::fork();
        if (pid_ == 0) {
            const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int null_in = ::open("/dev/null", O_RDONLY);
            if (log < 0 || null_in < 0) ::_exit(126);
            ::dup2(null_in, 0);
            ::dup2(log, 1);
            ::dup2(log, 2);
            if (set_limit && ::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(125);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        started_ = Clock::now();
    }
    ~LrnnProcess() {
        if (!reaped_ && pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    LrnnProcess(const LrnnProcess&) = delete;
    LrnnProcess& operator=(const LrnnProcess&) = delete;

    bool started() const { return pid_ > 0; }

    // Exit code, or 1000 + signal number if a signal ended it (so 130 and SIGINT differ).
    int wait() {
        if (!reaped_) {
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            reaped_ = true;
            code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
        }
        return code_;
    }
    // True once the process has ended (reaping it).
    bool finished() {
        if (reaped_) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        reaped_ = true;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
        return true;
    }
    void signal(int sig) {
        if (!reaped_) ::kill(pid_, sig);
    }
    std::string log() const { return read_text(log_path_); }
    double seconds() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

private:
    std::string log_path_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    int code_ = -1;
    Clock::time_point started_;
};

struct RunResult {
    int code = -1;
    std::string log;
};

// Polls `ready` every 100 microseconds until it holds or the process ends; true if it holds.
template <typename Pred>
bool wait_until(LrnnProcess& p, Pred ready, double timeout_s = 60) {
    const auto start = Clock::now();
    while (!ready()) {
        if (p.finished()) return ready();
        if (std::chrono::duration<double>(Clock::now() - start).count() > timeout_s) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return true;
}

// The metrics rows without their timing fields, which legitimately differ between runs.
std::vector<std::string> metrics_rows(const std::string& path) {
    static const std::regex timing(R"re(, "(tokens_per_s|elapsed_s)": [^,}]*)re");
    std::vector<std::string> rows;
    std::istringstream in(read_text(path));
    for (std::string line; std::getline(in, line);) rows.push_back(std::regex_replace(line, timing, ""));
    return rows;
}

std::vector<long long> metrics_steps(const std::string& path) {
    std::vector<long long> steps;
    std::istringstream in(read_text(path));
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find("\"step\": ");
        steps.push_back(at == std::string::npos ? -1 : std::atoll(line.c_str() + at + 8));
    }
    return steps;
}

// Everything a continued run must reproduce exactly (elapsed time aside).
void expect_same_training_state(const Checkpoint& want, const Checkpoint& got, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_TRUE(test::same_bits(want.params, got.params)) << "parameters differ";
    EXPECT_TRUE(test::same_bits(want.adam.m, got.adam.m)) << "Adam first moments differ";
    EXPECT_TRUE(test::same_bits(want.adam.v, got.adam.v)) << "Adam second moments differ";
    EXPECT_EQ(want.adam.step, got.adam.step);
    EXPECT_EQ(want.progress.step, got.progress.step);
    EXPECT_EQ(want.progress.epoch, got.progress.epoch);
    EXPECT_EQ(want.progress.position, got.progress.position);
    EXPECT_EQ(want.progress.skipped_steps, got.progress.skipped_steps);
    EXPECT_EQ(want.progress.tokens_seen, got.progress.tokens_seen);
    EXPECT_EQ(want.progress.best_step, got.progress.best_step);
    EXPECT_EQ(std::memcmp(&want.progress.best_val_loss, &got.progress.best_val_loss, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&want.progress.last_val_loss, &got.progress.last_val_loss, sizeof(double)), 0);
    EXPECT_EQ(want.progress.corpus_hash, got.progress.corpus_hash);
    EXPECT_EQ(want.progress.finished, got.progress.finished);
    EXPECT_TRUE(want.tokenizer == got.tokenizer);
}

std::vector<std::string> temp_files(const std::string& run_dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(checkpoint_dir(run_dir), ec)) {
        const std::string name = e.path().filename().string();
        if (name.find(".tmp") != std::string::npos) out.push_back(name);
    }
    return out;
}

std::int64_t newest_step(const std::string& run_dir) {
    const auto files = list_checkpoints(run_dir);
    return files.empty() ? -1 : checkpoint_step(files.back());
}

class ResumeTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_.path();
        // 2400 bytes: 134 chunks of 16 tokens, so an epoch is 34 steps of 4 chunks, the last
        // one short (2 chunks), and 40 steps cross an epoch boundary.
        std::ifstream in(std::string(LRNN_SOURCE_DIR) + "/data/tinyshakespeare.txt", std::ios::binary);
        corpus_text_.assign(2400, '\0');
        in.read(corpus_text_.data(), std::streamsize(corpus_text_.size()));
        ASSERT_EQ(in.gcount(), 2400);
        corpus_ = file("corpus.txt");
        write_text(corpus_, corpus_text_);
        config_ = file("tiny.yaml");
        write_text(config_,
                   "run: {name: tiny, dir: " + file("runs") + ", seed: 7}\n"
                   "data: {path: corpus.txt, tokenizer: char, val_fraction: 0.1}\n"
                   "model: {n_layer: 1, n_embd: 16, n_head: 2, ctx_len: 16, decay_lora_rank: 2, n_mem_slots: 2}\n"
                   "train: {epochs: 100, max_steps: " + std::to_string(kSteps) +
                       ", batch_chunks: 4, threads: 2, checkpoint_every: 5, eval_every: 10, eval_tokens: 256,"
                       " log_every: 1, keep_checkpoints: 3}\n"
                   "generate: {tokens: 16, seed: 1}\n");
    }

    std::string file(const std::string& name) const { return (dir_ / name).string(); }
    std::string run_dir(const std::string& name = "tiny") const { return file("runs/" + name); }

    std::unique_ptr<LrnnProcess> start(std::vector<std::string> args, const SpawnOptions& options = {}) {
        auto p = std::make_unique<LrnnProcess>(args, file("log-" + std::to_string(logs_++) + ".txt"), options);
        EXPECT_TRUE(p->started());
        return p;
    }
    RunResult run_lrnn(std::vector<std::string> args, const SpawnOptions& options = {}) {
        auto p = start(std::move(args), options);
        RunResult r;
        r.code = p->wait();
        r.log = p->log();
        return r;
    }
    std::vector<std::string> fresh_args(const std::string& name, std::vector<std::string> overrides = {}) const {
        std::vector<std::string> a{"train", config_, "run.name=" + name, "--force", "--no-sample"};
        a.insert(a.end(), overrides.begin(), overrides.end());
        return a;
    }
    static std::vector<std::string> resume_args(const std::string& what, std::vector<std::string> overrides = {}) {
        std::vector<std::string> a{"train", "--resume", what, "--no-sample"};
        a.insert(a.end(), overrides.begin(), overrides.end());
        return a;
    }

    // The uninterrupted run every interrupted one must match: its final checkpoint and metrics.
    void make_reference() {
        const RunResult r = run_lrnn(fresh_args("ref"));
        ASSERT_EQ(r.code, 0) << r.log;
        reference_ = read_checkpoint(checkpoint_path(run_dir("ref"), kSteps));
        reference_metrics_ = metrics_rows(run_dir("ref") + "/metrics.jsonl");
        ASSERT_EQ(reference_metrics_.size(), std::size_t(kSteps));
        ASSERT_EQ(reference_.progress.epoch, 1u) << "the reference run should cross an epoch boundary";
    }
    void expect_matches_reference(const std::string& name, const std::string& what) {
        ASSERT_TRUE(fs::exists(checkpoint_path(run_dir(name), kSteps))) << what;
        expect_same_training_state(reference_, read_checkpoint(checkpoint_path(run_dir(name), kSteps)), what);
        EXPECT_EQ(metrics_rows(run_dir(name) + "/metrics.jsonl"), reference_metrics_) << what;
        EXPECT_TRUE(temp_files(run_dir(name)).empty()) << what << ": leftover temporary files";
    }

    test::TempDir temp_;
    fs::path dir_;
    std::string corpus_text_, corpus_, config_;
    int logs_ = 0;
    Checkpoint reference_;
    std::vector<std::string> reference_metrics_;
};

// SIGKILL at random moments (seeded, so a failure can be replayed): sometimes at a random time
// after the start, sometimes a random few hundred microseconds after a given checkpoint
// appeared, which lands in steps, evaluations, metrics writes and checkpoint writes alike.
// Each time the run continues from where it stands (fresh if no checkpoint exists yet).
TEST_F(ResumeTest, SigkillAtRandomPointsThenResumeIsBitExact) {
    make_reference();
    const std::string run = run_dir("tiny");
    std::mt19937 rng(20240611);
    int kills = 0, mid_run_resumes = 0;
    std::string history;
    bool done = false;
    for (int segment = 0; segment < 40 && !done; ++segment) {
        const std::int64_t from = newest_step(run);
        const bool fresh = from < 0;
        if (!fresh && from > 0 && from < kSteps) ++mid_run_resumes;
        auto p = start(fresh ? fresh_args("tiny") : resume_args(run));
        std::string how = "runs to the end";
        if (kills < 10) {
            if (rng() % 4 == 0) {
                const int us = int(rng() % 8000);
                std::this_thread::sleep_for(std::chrono::microseconds(us));
                how = "killed " + std::to_string(us) + " us after the start";
            } else {
                const std::int64_t target = std::max<std::int64_t>(from, 0) + 5 * std::int64_t(1 + rng() % 2);
                wait_until(*p, [&] { return newest_step(run) >= target; });
                const int us = int(rng() % 1500);
                std::this_thread::sleep_for(std::chrono::microseconds(us));
                how = "killed " + std::to_string(us) + " us after checkpoint " + std::to_string(target);
            }
            p->signal(SIGKILL);
            ++kills;
        }
        const int code = p->wait();
        history += "segment " + std::to_string(segment) + (fresh ? " fresh" : " from step " + std::to_string(from)) +
                   ": " + how + ", exit " + std::to_string(code) + "\n";
        ASSERT_TRUE(code == 0 || code == 1000 + SIGKILL) << history << p->log();
        done = code == 0;
    }
    ASSERT_TRUE(done) << history;
    EXPECT_GE(mid_run_resumes, 3) << history;
    expect_matches_reference("tiny", history);
}

// Killed while a checkpoint is half written (the test hook stalls each write halfway): the
// half-written file is never taken for a checkpoint, the older ones are intact, and the run
// resumes from the newest complete one. Once in a fresh run, once in a resumed one.
TEST_F(ResumeTest, SigkillDuringCheckpointWriteThenResumeIsBitExact) {
    make_reference();
    const std::string run = run_dir("tiny");
    const SpawnOptions stall{{"LRNN_TEST_STALL_CHECKPOINT_MS=300"}};
    auto half_written = [&](std::int64_t step) {
        const std::string prefix = "." + fs::path(checkpoint_path(run, step)).filename().string() + ".tmp.";
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(checkpoint_dir(run), ec))
            if (e.path().filename().string().rfind(prefix, 0) == 0) return true;
        return false;
    };

    for (const auto& [args, kill_at, complete] :
         {std::tuple{fresh_args("tiny"), 15, std::vector<std::int64_t>{5, 10}},
          std::tuple{resume_args(run), 30, std::vector<std::int64_t>{15, 20, 25}}}) {
        auto p = start(args, stall);
        // An init-capture: clang 14 cannot capture a structured binding itself.
        ASSERT_TRUE(wait_until(*p, [&, step = kill_at] { return half_written(step); })) << p->log();
        p->signal(SIGKILL);
        ASSERT_EQ(p->wait(), 1000 + SIGKILL) << p->log();
        EXPECT_TRUE(half_written(kill_at)) << "the interrupted write's temporary file is still there";
        std::vector<std::int64_t> steps;
        for (const std::string& f : list_checkpoints(run)) {
            steps.push_back(checkpoint_step(f));
            EXPECT_NO_THROW(read_checkpoint(f)) << f;
        }
        EXPECT_EQ(steps, complete);
    }
    const RunResult r = run_lrnn(resume_args(run));
    ASSERT_EQ(r.code, 0) << r.log;
    EXPECT_TRUE(contains(r.log, "resuming from " + checkpoint_path(run, 25) + " (step 25)")) << r.log;
    expect_matches_reference("tiny", "killed during the writes of checkpoints 15 and 30");
}

// Invariant 3 across a resume: the thread count may change, the result may not.
TEST_F(ResumeTest, ResumeWithAnotherThreadCountIsBitExact) {
    make_reference();  // 2 threads throughout
    const std::string run = run_dir("tiny");
    auto p = start(fresh_args("tiny"));
    wait_until(*p, [&] { return newest_step(run) >= 10; });
    p->signal(SIGKILL);
    p->wait();
    const std::int64_t first = newest_step(run);
    ASSERT_GT(first, 0);
    ASSERT_LT(first, kSteps);
    auto q = start(resume_args(run, {"train.threads=1"}));
    wait_until(*q, [&] { return newest_step(run) >= first + 10; });
    q->signal(SIGKILL);
    q->wait();
    const RunResult r = run_lrnn(resume_args(run, {"train.threads=2"}));
    ASSERT_EQ(r.code, 0) << r.log;
    expect_matches_reference("tiny", "2 threads, then 1, then 2");

    // Everything after the first checkpoint on one thread.
    auto s = start(fresh_args("one"));
    wait_until(*s, [&] { return newest_step(run_dir("one")) >= 5; });
    s->signal(SIGKILL);
    s->wait();
    ASSERT_GE(newest_step(run_dir("one")), 5);
    const RunResult one = run_lrnn(resume_args(run_dir("one"), {"train.threads=1"}));
    ASSERT_EQ(one.code, 0) << one.log;
    EXPECT_TRUE(contains(one.log, "on 1 threads")) << one.log;
    expect_matches_reference("one", "2 threads, then 1");
}

// SIGTERM while a checkpoint is being written: that checkpoint is completed, the run exits
// 143 saying how to resume, and resuming is exact.
TEST_F(ResumeTest, SigtermSavesAndResumeIsBitExact) {
    make_reference();
    const std::string run = run_dir("tiny");
    auto p = start(fresh_args("tiny"), SpawnOptions{{"LRNN_TEST_STALL_CHECKPOINT_MS=150"}});
    ASSERT_TRUE(wait_until(*p, [&] { return !temp_files(run).empty() && newest_step(run) >= 5; })) << p->log();
    p->signal(SIGTERM);
    ASSERT_EQ(p->wait(), 143) << p->log();
    const std::string log = p->log();
    const std::smatch m = [&] {
        std::smatch match;
        std::regex_search(log, match, std::regex("received SIGTERM at step ([0-9]+)"));
        return match;
    }();
    ASSERT_FALSE(m.empty()) << log;
    const std::int64_t at = std::stoll(m[1]);
    EXPECT_TRUE(contains(log, "checkpoint saved; continue with: lrnn train --resume " + run)) << log;
    EXPECT_EQ(newest_step(run), at);
    EXPECT_EQ(read_checkpoint(checkpoint_path(run, at)).progress.step, at);
    EXPECT_TRUE(temp_files(run).empty());
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl").back(), at);

    const RunResult r = run_lrnn(resume_args(run));
    ASSERT_EQ(r.code, 0) << r.log;
    EXPECT_TRUE(contains(r.log, "(step " + std::to_string(at) + ")")) << r.log;
    expect_matches_reference("tiny", "SIGTERM at step " + std::to_string(at));
}

// SIGINT between checkpoints (here: at a step that is not a multiple of checkpoint_every, as
// soon as the metrics show it): a checkpoint of that very step is written; exit code 130.
TEST_F(ResumeTest, SigintSavesAndResumeIsBitExact) {
    make_reference();
    const std::string run = run_dir("tiny");
    // checkpoint_every=0: the only checkpoints are at evaluations with a new best (step 10,
    // 20, ...), so the stop is almost surely between two of them. A 150 ms stall per checkpoint
    // leaves time to deliver the signal before the run ends.
    auto p = start(fresh_args("tiny", {"train.checkpoint_every=0"}), SpawnOptions{{"LRNN_TEST_STALL_CHECKPOINT_MS=150"}});
    ASSERT_TRUE(wait_until(*p, [&] {
        const auto steps = metrics_steps(run + "/metrics.jsonl");
        return !steps.empty() && steps.back() >= 12;
    })) << p->log();
    p->signal(SIGINT);
    ASSERT_EQ(p->wait(), 130) << p->log();
    const std::string log = p->log();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(log, m, std::regex("received SIGINT at step ([0-9]+)"))) << log;
    const std::int64_t at = std::stoll(m[1]);
    EXPECT_TRUE(contains(log, "lrnn train --resume " + run)) << log;
    EXPECT_EQ(newest_step(run), at);
    const Checkpoint saved = read_checkpoint(checkpoint_path(run, at));
    EXPECT_EQ(saved.progress.step, at);
    EXPECT_FALSE(saved.progress.finished);

    // The reference with the same checkpoint schedule (checkpoints do not change training).
    const RunResult r = run_lrnn(resume_args(run, {"train.checkpoint_every=5"}));
    ASSERT_EQ(r.code, 0) << r.log;
    expect_matches_reference("tiny", "SIGINT at step " + std::to_string(at));
}

// Damaged checkpoints: every kind is refused by name when given as --resume FILE (exit 2),
// and --resume RUN_DIR skips it, says so, and continues exactly from the previous one.
TEST_F(ResumeTest, DamagedCheckpointsAreRefusedAndSkipped) {
    make_reference();
    const std::string run = run_dir("ref");
    const std::string newest = checkpoint_path(run, kSteps);
    const std::string good = read_text(newest);
    const std::string ref_metrics = read_text(run + "/metrics.jsonl");
    struct Damage {
        std::string name, bytes, problem;
    };
    std::vector<Damage> damages;
    damages.push_back({"zero bytes", "", "empty (0 bytes)"});
    for (std::size_t n : {std::size_t(5), std::size_t(31), std::size_t(32), std::size_t(200), good.size() / 2,
                          good.size() - 1})
        damages.push_back({"truncated to " + std::to_string(n), good.substr(0, n), "truncated"});
    for (std::size_t at : {std::size_t(1), std::size_t(20), std::size_t(40), good.size() / 3, good.size() - 2}) {
        std::string b = good;
        b[at] = char(b[at] ^ 0x10);
        damages.push_back({"bit flip at " + std::to_string(at), b,
                           at < 8 ? "wrong magic" : at < 32 ? "header checksum mismatch" : "payload checksum mismatch"});
    }
    {
        // A well-formed file of another format version (header checksum recomputed).
        std::string b = good;
        const std::uint32_t version = 2;
        std::memcpy(b.data() + 8, &version, 4);
        const std::uint32_t header_crc = crc32c(b.data(), 28);
        std::memcpy(b.data() + 28, &header_crc, 4);
        damages.push_back({"version 2", b, "format version 2 is not supported"});
    }

    for (const Damage& d : damages) {
        SCOPED_TRACE(d.name);
        write_text(newest, d.bytes);
        const RunResult refused = run_lrnn(resume_args(newest));
        EXPECT_EQ(refused.code, 2) << refused.log;
        EXPECT_TRUE(contains(refused.log, newest)) << refused.log;
        EXPECT_TRUE(contains(refused.log, d.problem)) << refused.log;

        write_text(newest, d.bytes);
        const RunResult r = run_lrnn(resume_args(run));
        ASSERT_EQ(r.code, 0) << r.log;
        EXPECT_TRUE(contains(r.log, "skipping unusable checkpoint: " + newest)) << r.log;
        EXPECT_TRUE(contains(r.log, d.problem)) << r.log;
        EXPECT_TRUE(contains(r.log, "falling back to the newest good checkpoint: " + checkpoint_path(run, 35))) << r.log;
        EXPECT_TRUE(contains(r.log, "(step 35)")) << r.log;
        expect_same_training_state(reference_, read_checkpoint(newest), "resumed past the damaged checkpoint");
        EXPECT_EQ(metrics_rows(run + "/metrics.jsonl"), reference_metrics_);
    }

    // No step file usable: best.ckpt (an older step, kept apart from the pruning) is the last
    // resort, and the run says so and finishes exactly as the reference.
    const std::string best = checkpoint_dir(run) + "/best.ckpt";
    for (const std::string& f : list_checkpoints(run)) {
        fs::remove(f);  // (a new inode: best.ckpt may be a hard link to one of them)
        write_text(f, good.substr(0, 100));
    }
    const RunResult from_best = run_lrnn(resume_args(run));
    ASSERT_EQ(from_best.code, 0) << from_best.log;
    EXPECT_TRUE(contains(from_best.log, "every step checkpoint is unusable; falling back to " + best)) << from_best.log;
    std::ostringstream ignored;  // (best.ckpt may be the final step itself: then nothing trains)
    expect_same_training_state(reference_, load_newest_checkpoint(run, ignored), "resumed from best.ckpt");

    // Nothing usable at all: a clear error, no crash.
    for (const std::string& f : list_checkpoints(run)) {
        fs::remove(f);
        write_text(f, good.substr(0, 100));
    }
    fs::remove(best);
    write_text(best, good.substr(0, 100));
    const RunResult none = run_lrnn(resume_args(run));
    EXPECT_EQ(none.code, 2) << none.log;
    EXPECT_TRUE(contains(none.log, "none of its checkpoints is usable (0 step checkpoint(s) and best.ckpt tried"))
        << "the damaged step files were set aside by the resume from best.ckpt: " << none.log;
}

// The bytes of every step checkpoint and best.ckpt of a run.
std::vector<std::pair<std::string, std::string>> snapshot(const std::string& run_dir) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& f : list_checkpoints(run_dir)) out.emplace_back(f, read_text(f));
    out.emplace_back("best", read_text(checkpoint_dir(run_dir) + "/best.ckpt"));
    return out;
}

std::vector<long long> step_range(long long first, long long last) {
    std::vector<long long> v;
    for (long long s = first; s <= last; ++s) v.push_back(s);
    return v;
}

// A full disk, simulated with RLIMIT_FSIZE (works for root too, unlike permission bits): the
// limit is half a checkpoint, plenty for config.yaml and metrics.jsonl. train.on_save_error=stop
// (the default) ends the run with exit code 3; the older checkpoints are untouched and loadable,
// no temporary file is left, and a later resume continues normally.
TEST_F(ResumeTest, SaveFailureUnderFileSizeLimitStopsWithExitCode3) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    const auto before = snapshot(run);
    ASSERT_EQ(before.size(), 4u);  // steps 10, 15, 20 and best.ckpt
    SpawnOptions limited;
    limited.file_size_limit = fs::file_size(checkpoint_path(run, 20)) / 2;

    const RunResult r = run_lrnn(resume_args(run, {"train.max_steps=40"}), limited);
    EXPECT_EQ(r.code, 3) << r.log;
    EXPECT_TRUE(contains(r.log, "error: saving the checkpoint failed: " + checkpoint_path(run, 25) +
                                    ": write failed (File too large); the previous file is kept"))
        << r.log;
    EXPECT_TRUE(contains(r.log, "stopping: the previous checkpoints are intact (train.on_save_error=stop)")) << r.log;
    EXPECT_EQ(snapshot(run), before);
    for (const std::string& f : list_checkpoints(run)) EXPECT_NO_THROW(read_checkpoint(f)) << f;
    EXPECT_TRUE(temp_files(run).empty());
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 25));
    EXPECT_LT(fs::file_size(run + "/metrics.jsonl"), limited.file_size_limit) << "the limit must spare the metrics";

    const RunResult again = run_lrnn(resume_args(run, {"train.max_steps=40"}));
    ASSERT_EQ(again.code, 0) << again.log;
    EXPECT_TRUE(contains(again.log, "(step 20)")) << again.log;
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 40));
    EXPECT_EQ(newest_step(run), 40);
}

// train.on_save_error=continue: every failed save is reported, training goes on to the end,
// the exit code is still 3, and "latest" is never a broken file. SIGTERM with a failing save
// exits 3 as well (no checkpoint was saved, so 143 would be a lie).
TEST_F(ResumeTest, SaveFailureWithContinueTrainsOnAndExits3) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    const auto before = snapshot(run);
    SpawnOptions limited;
    limited.file_size_limit = fs::file_size(checkpoint_path(run, 20)) / 2;

    const RunResult r = run_lrnn(resume_args(run, {"train.max_steps=40", "train.on_save_error=continue"}), limited);
    EXPECT_EQ(r.code, 3) << r.log;
    for (std::int64_t step : {25, 30, 35, 40})
        EXPECT_TRUE(contains(r.log, "saving the checkpoint failed: " + checkpoint_path(run, step))) << r.log;
    EXPECT_TRUE(contains(r.log, "continuing without this checkpoint (train.on_save_error=continue)")) << r.log;
    EXPECT_TRUE(contains(r.log, "done: 40 steps")) << r.log;
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 40));
    EXPECT_EQ(snapshot(run), before);
    EXPECT_TRUE(temp_files(run).empty());

    // Interrupted while saves fail: 3, not 143. Each failing save stalls 300 ms halfway, so the
    // run is still going when the signal arrives even on a loaded machine. The limit sits at
    // three quarters of a checkpoint: the first half is always written (the stall happens),
    // the rest fails. (At one half, a checkpoint a few bytes longer than step 20's would fail
    // before the halfway stall, and the run could end before the signal.)
    SpawnOptions stalled = limited;
    stalled.file_size_limit = fs::file_size(checkpoint_path(run, 20)) * 3 / 4;
    stalled.env = {"LRNN_TEST_STALL_CHECKPOINT_MS=300"};
    auto p = start(resume_args(run, {"train.max_steps=40", "train.on_save_error=continue"}), stalled);
    ASSERT_TRUE(wait_until(*p, [&] { return contains(p->log(), "continuing without this checkpoint"); })) << p->log();
    p->signal(SIGTERM);
    EXPECT_EQ(p->wait(), 3) << p->log();
    EXPECT_TRUE(contains(p->log(), "received SIGTERM")) << p->log();
    EXPECT_FALSE(contains(p->log(), "checkpoint saved; continue with")) << p->log();
    EXPECT_EQ(snapshot(run), before);
    EXPECT_TRUE(temp_files(run).empty());
}

// A checkpoints directory that becomes unusable mid-run: while the save of step 25 is stalled
// halfway, checkpoints/ is moved aside and a regular file put in its place (root ignores
// permission bits, so chmod 0555 would prove nothing under CI). The save fails with a message
// naming the file and the reason, the run exits 3, and the checkpoints moved aside still load.
TEST_F(ResumeTest, SaveFailureInUnusableDirectoryStopsWithExitCode3) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    const std::string kept = run + "/kept/step-000000020.ckpt";
    const std::string kept_bytes = read_text(checkpoint_path(run, 20));

    auto p = start(resume_args(run, {"train.max_steps=40"}), SpawnOptions{{"LRNN_TEST_STALL_CHECKPOINT_MS=300"}});
    ASSERT_TRUE(wait_until(*p, [&] { return !temp_files(run).empty(); })) << p->log();
    fs::rename(checkpoint_dir(run), run + "/kept");
    write_text(checkpoint_dir(run), "not a directory\n");
    EXPECT_EQ(p->wait(), 3) << p->log();
    const std::string log = p->log();
    EXPECT_TRUE(contains(log, "resuming from " + checkpoint_path(run, 20) + " (step 20)")) << log;
    EXPECT_TRUE(contains(log, "saving the checkpoint failed: " + checkpoint_path(run, 25) + ": rename failed (Not a directory)"))
        << log;
    EXPECT_TRUE(contains(log, "stopping: the previous checkpoints are intact")) << log;
    EXPECT_EQ(read_text(kept), kept_bytes);
    EXPECT_EQ(read_checkpoint(kept).progress.step, 20);
    EXPECT_EQ(read_text(checkpoint_dir(run)), "not a directory\n");
}

// --resume FILE continues the run that holds the file (RUN_DIR/checkpoints/FILE). A checkpoint
// copied anywhere else is refused, and nothing is written next to it: guessing its grandparent
// as the run directory would overwrite an unrelated config.yaml and metrics.jsonl.
TEST_F(ResumeTest, ResumeFromACheckpointOutsideARunIsRefused) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=10"}));
    ASSERT_EQ(first.code, 0) << first.log;
    const fs::path elsewhere = fs::path(run).parent_path() / "mine";
    fs::create_directories(elsewhere / "backup");
    write_text((elsewhere / "config.yaml").string(), "my own file\n");
    fs::copy_file(checkpoint_path(run, 10), elsewhere / "backup" / "saved.ckpt");
    const RunResult r = run_lrnn(resume_args((elsewhere / "backup" / "saved.ckpt").string()));
    EXPECT_EQ(r.code, 2) << r.log;
    EXPECT_TRUE(contains(r.log, "not inside a run directory's checkpoints/ folder")) << r.log;
    EXPECT_EQ(read_text((elsewhere / "config.yaml").string()), "my own file\n");
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(elsewhere)) files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, (std::vector<std::string>{"backup", "config.yaml", "saved.ckpt"}));
}

// --resume FILE with a path relative to the checkpoints/ folder itself (run from inside it, or
// with "./" in it): the run directory is still the folder above checkpoints/.
TEST_F(ResumeTest, ResumeFromARelativeCheckpointPathFindsItsRun) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=10"}));
    ASSERT_EQ(first.code, 0) << first.log;
    const std::string command = "cd " + checkpoint_dir(run) + " && " + std::string(LRNN_BINARY) +
                                " train --resume step-000000010.ckpt --no-sample train.max_steps=15 > " +
                                file("inside.log") + " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << read_text(file("inside.log"));
    EXPECT_FALSE(fs::exists(checkpoint_dir(run) + "/config.yaml")) << read_text(file("inside.log"));
    EXPECT_EQ(newest_step(run), 15);
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 15));
    const RunResult dotted = run_lrnn(resume_args(checkpoint_dir(run) + "/./step-000000015.ckpt", {"train.max_steps=20"}));
    EXPECT_EQ(dotted.code, 0) << dotted.log;
    EXPECT_FALSE(fs::exists(checkpoint_dir(run) + "/config.yaml"));
    EXPECT_EQ(newest_step(run), 20);
}

// Resuming an older checkpoint without extending the run trains nothing; that is not a
// divergence, even when no evaluation has happened yet at that step.
TEST_F(ResumeTest, ResumeAtTheEndOfAnOlderCheckpointIsNotADivergence) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20", "train.eval_every=0"}));
    ASSERT_EQ(first.code, 0) << first.log;
    const RunResult r = run_lrnn(resume_args(checkpoint_path(run, 15), {"train.max_steps=15"}));
    EXPECT_EQ(r.code, 0) << r.log;
    EXPECT_FALSE(contains(r.log, "diverged")) << r.log;
    EXPECT_TRUE(contains(read_text(run + "/summary.json"), "\"steps\": 15")) << "the summary describes this timeline";
}

// One lrnn train per run directory: while a run trains (here stalled in a checkpoint write),
// a second --resume of it, or a --force over it, is refused naming the first one's pid.
TEST_F(ResumeTest, ARunInProgressCannotBeTrainedTwice) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=10"}));
    ASSERT_EQ(first.code, 0) << first.log;
    auto p = start(resume_args(run, {"train.max_steps=40"}), SpawnOptions{{"LRNN_TEST_STALL_CHECKPOINT_MS=300"}});
    ASSERT_TRUE(wait_until(*p, [&] { return !temp_files(run).empty(); })) << p->log();
    const RunResult second = run_lrnn(resume_args(run, {"train.max_steps=40"}));
    EXPECT_EQ(second.code, 2) << second.log;
    EXPECT_TRUE(contains(second.log, "is being trained by another lrnn train (pid ")) << second.log;
    const RunResult forced = run_lrnn(fresh_args("tiny", {"train.max_steps=5"}));
    EXPECT_EQ(forced.code, 2) << forced.log;
    EXPECT_TRUE(contains(forced.log, "--force does not replace a run in progress")) << forced.log;
    EXPECT_EQ(p->wait(), 0) << p->log();
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 40));
    // Once it has ended, the run is free again.
    const RunResult later = run_lrnn(resume_args(run, {"train.max_steps=45"}));
    EXPECT_EQ(later.code, 0) << later.log;
}

// metrics.jsonl cannot be written (a full disk; here a file-size limit below its size): the
// run stops at once with exit code 3, like a failed checkpoint save, and says so.
TEST_F(ResumeTest, MetricsWriteFailureStopsWithExitCode3) {
    const RunResult sizing = run_lrnn(fresh_args("tiny", {"train.max_steps=1"}));
    ASSERT_EQ(sizing.code, 0) << sizing.log;
    SpawnOptions limited;  // room for config.yaml, and for a few metrics rows
    limited.file_size_limit = fs::file_size(run_dir("tiny") + "/config.yaml") + 700;
    const RunResult r = run_lrnn(fresh_args("tiny", {"train.checkpoint_every=0", "train.eval_every=0"}), limited);
    EXPECT_EQ(r.code, 3) << r.log;
    EXPECT_TRUE(contains(r.log, "cannot write metrics (File too large)")) << r.log;
    EXPECT_TRUE(contains(r.log, "stopping: no checkpoint of this run was saved yet")) << r.log;
}

// Overrides on resume: the model shape, tokenizer, data and seed are refused naming the key,
// before anything in the run directory changes.
TEST_F(ResumeTest, ResumeRefusesOverridesThatChangeModelOrData) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    write_text(file("other.txt"), corpus_text_);
    const auto before = snapshot(run);
    const std::string config_before = read_text(run + "/config.yaml");
    const std::string metrics_before = read_text(run + "/metrics.jsonl");
    for (const std::string& item : {std::string("model.n_embd=32"), std::string("model.ctx_len=8"),
                                    std::string("data.path=") + file("other.txt"), std::string("data.tokenizer=word"),
                                    std::string("data.val_fraction=0.2"), std::string("run.seed=8")}) {
        SCOPED_TRACE(item);
        const std::string key = item.substr(0, item.find('='));
        const RunResult r = run_lrnn(resume_args(run, {"train.max_steps=40", item}));
        EXPECT_EQ(r.code, 2) << r.log;
        EXPECT_TRUE(contains(r.log, key + " cannot change when resuming")) << r.log;
        EXPECT_EQ(snapshot(run), before);
        EXPECT_EQ(read_text(run + "/config.yaml"), config_before);
        EXPECT_EQ(read_text(run + "/metrics.jsonl"), metrics_before);
    }
    // --force has no meaning for a resume: refused, not ignored.
    const RunResult forced = run_lrnn({"train", "--resume", run, "--force", "train.max_steps=40"});
    EXPECT_EQ(forced.code, 2) << forced.log;
    EXPECT_TRUE(contains(forced.log, "--force and --resume exclude each other")) << forced.log;
    EXPECT_EQ(snapshot(run), before);
    // Repeating a stored value is no change: accepted.
    const RunResult same = run_lrnn(resume_args(run, {"train.max_steps=25", "model.n_embd=16", "run.seed=9"}));
    EXPECT_EQ(same.code, 2) << "run.seed=9 changes the seed: " << same.log;
    EXPECT_TRUE(contains(same.log, "run.seed cannot change when resuming")) << same.log;
    const RunResult repeated = run_lrnn(resume_args(run, {"train.max_steps=25", "model.n_embd=16"}));
    EXPECT_EQ(repeated.code, 0) << repeated.log;
}

// A corpus that changed since the checkpoint (same size, same symbols, two bytes swapped) is
// refused with exit code 2, and accepted with --allow-changed-corpus.
TEST_F(ResumeTest, ResumeRefusesChangedCorpusUnlessAllowed) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    std::string changed = corpus_text_;
    std::size_t at = 100;
    while (changed[at] == changed[at + 1]) ++at;
    std::swap(changed[at], changed[at + 1]);
    write_text(corpus_, changed);
    const auto before = snapshot(run);

    const RunResult refused = run_lrnn(resume_args(run, {"train.max_steps=40"}));
    EXPECT_EQ(refused.code, 2) << refused.log;
    EXPECT_TRUE(contains(refused.log, "data.path: " + corpus_ + " has changed since the checkpoint was written"))
        << refused.log;
    EXPECT_TRUE(contains(refused.log, "--allow-changed-corpus")) << refused.log;
    EXPECT_EQ(snapshot(run), before);

    // A change that brings a character the stored vocabulary lacks: still "changed" first
    // (the cause), not "not in the vocabulary" (the symptom).
    std::string with_new_char = changed;
    with_new_char[at] = '~';
    write_text(corpus_, with_new_char);
    const RunResult refused_again = run_lrnn(resume_args(run, {"train.max_steps=40"}));
    EXPECT_EQ(refused_again.code, 2) << refused_again.log;
    EXPECT_TRUE(contains(refused_again.log, "has changed since the checkpoint was written")) << refused_again.log;
    write_text(corpus_, changed);

    const RunResult allowed = run_lrnn({"train", "--resume", run, "--no-sample", "--allow-changed-corpus", "train.max_steps=40"});
    EXPECT_EQ(allowed.code, 0) << allowed.log;
    EXPECT_EQ(newest_step(run), 40);
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 40));
}

// Once a changed corpus has been accepted, the run trains on it: the checkpoints written after
// that must describe the corpus they were trained on, so that continuing the run later needs
// no flag (and restoring the old file would be noticed).
TEST_F(ResumeTest, AcceptedCorpusChangeIsRecordedInLaterCheckpoints) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    const std::uint64_t old_hash = read_checkpoint(checkpoint_path(run, 20)).progress.corpus_hash;
    std::string changed = corpus_text_;
    std::reverse(changed.begin() + 100, changed.begin() + 200);
    write_text(corpus_, changed);
    const RunResult allowed = run_lrnn({"train", "--resume", run, "--no-sample", "--allow-changed-corpus", "train.max_steps=30"});
    ASSERT_EQ(allowed.code, 0) << allowed.log;
    EXPECT_NE(read_checkpoint(checkpoint_path(run, 30)).progress.corpus_hash, old_hash);
    const RunResult later = run_lrnn(resume_args(run, {"train.max_steps=40"}));
    EXPECT_EQ(later.code, 0) << later.log;
}

// A corpus that shrank below the position the run had reached in its epoch (accepted with
// --allow-changed-corpus) must not crash the trainer: the next epoch begins.
TEST_F(ResumeTest, ResumeOnShrunkCorpusDoesNotCrash) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    ASSERT_EQ(read_checkpoint(checkpoint_path(run, 20)).progress.position, 80u);
    write_text(corpus_, corpus_text_.substr(0, 1000));  // 56 chunks per epoch
    const RunResult r = run_lrnn({"train", "--resume", run, "--no-sample", "--allow-changed-corpus", "train.max_steps=30"});
    EXPECT_EQ(r.code, 0) << r.log;
    EXPECT_FALSE(contains(r.log, "Assertion")) << r.log;
    EXPECT_EQ(newest_step(run), 30);
}

// Overrides that extend the run: max_steps, epochs; logging may change too. metrics.jsonl
// continues with no duplicated and no missing rows; resuming a finished run adds nothing.
TEST_F(ResumeTest, ResumeExtendsTheRunAndContinuesMetrics) {
    const std::string run = run_dir("tiny");
    const RunResult first = run_lrnn(fresh_args("tiny", {"train.max_steps=20"}));
    ASSERT_EQ(first.code, 0) << first.log;
    EXPECT_TRUE(read_checkpoint(checkpoint_path(run, 20)).progress.finished);
    const std::string metrics_before = read_text(run + "/metrics.jsonl");
    const std::string summary_before = read_text(run + "/summary.json");

    const RunResult same = run_lrnn(resume_args(run));
    EXPECT_EQ(same.code, 0) << same.log;
    EXPECT_TRUE(contains(same.log, "nothing to train: the run is complete at step 20")) << same.log;
    EXPECT_EQ(read_text(run + "/metrics.jsonl"), metrics_before);
    EXPECT_EQ(read_text(run + "/summary.json"), summary_before) << "its tokens/s must not become 0";

    const RunResult longer = run_lrnn(resume_args(run, {"train.max_steps=40", "train.log_every=2"}));
    ASSERT_EQ(longer.code, 0) << longer.log;
    std::vector<long long> want = step_range(1, 20);
    for (long long s = 22; s <= 40; s += 2) want.push_back(s);
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), want);
    const Checkpoint at40 = read_checkpoint(checkpoint_path(run, 40));
    EXPECT_EQ(at40.progress.step, 40);
    EXPECT_TRUE(at40.progress.finished);
    EXPECT_TRUE(contains(read_text(run + "/config.yaml"), "max_steps: 40")) << "config.yaml says what ran";

    // Epochs: 134 chunks of 4 per step is 34 steps an epoch; two epochs end at step 68.
    const RunResult epochs = run_lrnn(resume_args(run, {"train.max_steps=0", "train.epochs=2", "train.log_every=1"}));
    ASSERT_EQ(epochs.code, 0) << epochs.log;
    const Checkpoint end = read_checkpoint(checkpoint_path(run, 68));
    EXPECT_EQ(end.progress.epoch, 2u);
    EXPECT_EQ(end.progress.position, 0u);
    const auto steps = metrics_steps(run + "/metrics.jsonl");
    EXPECT_EQ(std::set<long long>(steps.begin(), steps.end()).size(), steps.size()) << "no duplicated rows";
    EXPECT_TRUE(std::is_sorted(steps.begin(), steps.end()));
    EXPECT_EQ(steps.back(), 68);
}

// Resuming from an older checkpoint file starts a new timeline: the newer checkpoints of the
// abandoned one must not survive to be picked up by a later --resume RUN_DIR (nor push the
// new checkpoints out through pruning).
TEST_F(ResumeTest, ResumeFromOlderCheckpointFileAbandonsNewerOnes) {
    make_reference();
    const std::string run = run_dir("ref");
    const RunResult all = run_lrnn(fresh_args("ref", {"train.keep_checkpoints=10"}));
    ASSERT_EQ(all.code, 0) << all.log;
    const RunResult back = run_lrnn(resume_args(checkpoint_path(run, 15), {"train.max_steps=22"}));
    ASSERT_EQ(back.code, 0) << back.log;
    EXPECT_TRUE(fs::exists(checkpoint_path(run, 22))) << "the new run's final checkpoint was pruned";
    EXPECT_EQ(newest_step(run), 22);
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 22));
    const RunResult next = run_lrnn(resume_args(run, {"train.max_steps=30"}));
    ASSERT_EQ(next.code, 0) << next.log;
    EXPECT_TRUE(contains(next.log, "(step 22)")) << next.log;
    EXPECT_EQ(metrics_steps(run + "/metrics.jsonl"), step_range(1, 30));
}

// `lrnn debug logits` (and eval, generate) take a run directory or a checkpoint file: the run
// directory means its newest good checkpoint, falling back past a damaged one with a note.
TEST_F(ResumeTest, DebugLogitsLoadsRunDirectoryAndCheckpoint) {
    make_reference();
    const std::string run = run_dir("ref");
    const std::string tokens = file("tokens.txt");
    write_text(tokens, "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\n");
    auto logits = [&](const std::string& model, const std::string& out) {
        const RunResult r = run_lrnn({"debug", "logits", "--model", model, "--tokens", tokens, "--out", out});
        EXPECT_EQ(r.code, 0) << r.log;
        return std::pair{read_text(out), r.log};
    };
    const auto [from_dir, dir_log] = logits(run, file("dir.npy"));
    const auto [from_file, file_log] = logits(checkpoint_path(run, kSteps), file("file.npy"));
    EXPECT_GT(from_dir.size(), 20u * 4u);
    EXPECT_EQ(from_dir, from_file);
    const auto [from_best, best_log] = logits(checkpoint_dir(run) + "/best.ckpt", file("best.npy"));
    EXPECT_EQ(from_best.size(), from_file.size());
    const auto [from_35, log_35] = logits(checkpoint_path(run, 35), file("35.npy"));
    EXPECT_NE(from_35, from_file) << "different checkpoints, different logits";

    const RunResult eval = run_lrnn({"eval", run, "--text", corpus_});
    EXPECT_EQ(eval.code, 0) << eval.log;
    EXPECT_TRUE(contains(eval.log, checkpoint_path(run, kSteps))) << eval.log;
    const RunResult gen = run_lrnn({"generate", run, "--tokens", "8", "--seed", "3"});
    EXPECT_EQ(gen.code, 0) << gen.log;

    // The newest checkpoint damaged: the run directory falls back, with a note on stderr.
    const std::string newest = checkpoint_path(run, kSteps);
    write_text(newest, read_text(newest).substr(0, 1000));
    const auto [fallback, fallback_log] = logits(run, file("fallback.npy"));
    EXPECT_EQ(fallback, from_35);
    EXPECT_TRUE(contains(fallback_log, "skipping unusable checkpoint: " + newest)) << fallback_log;
    const RunResult bad = run_lrnn({"debug", "logits", "--model", newest, "--tokens", tokens, "--out", file("bad.npy")});
    EXPECT_EQ(bad.code, 2) << bad.log;
    EXPECT_TRUE(contains(bad.log, newest)) << bad.log;
    EXPECT_TRUE(contains(bad.log, "truncated")) << bad.log;
}

}  // namespace
}  // namespace lrnn
