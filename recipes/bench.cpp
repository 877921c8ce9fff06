// lrnn bench: how close one chunk's forward + backward comes to the BLAS's own speed.
//   lrnn bench [--shape medium|small|all] [--repeats N] [--json]
//
// Everything runs on ONE thread (the BLAS is the serial build, and no TBB here): the numbers
// say how good the model core is per core; scaling over cores is the trainer's business.
//
// (a) cblas_sgemm alone, on the products one chunk of the shape does most (T x d x d and
//     T x d x F): best of the repeats, 2 FLOP per multiply-add. This is the ceiling.
// (b) model_forward + model_loss + model_backward of one chunk in float: median of the
//     repeats, as tokens/s and as matrix-product FLOP/s (training_matmul_flops), and the ratio
//     of those FLOP/s to (a). The ratio is the share of the time spent doing useful products;
//     the rest is the elementwise work and the scan that the FLOP count does not credit.
// (a) and (b) alternate, one round each per repeat, and the ratio is the median of the
// rounds' ratios. Both are timed by the wall clock and by this thread's CPU time. On a busy
// machine the wall clock also counts time other processes had the core; on a virtual machine
// even the CPU time counts time the host gave to others, so only alternating the two
// measurements makes their ratio fair.

#include <cblas.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/json.hpp"
#include "core/rng.hpp"
#include "model/model.hpp"
#include "command_line.hpp"
#include "recipes.hpp"

namespace po = boost::program_options;

namespace lrnn::recipes {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of this thread. On a shared machine the wall clock also counts the time other
// processes had the core; the thread's CPU time does not, so both are reported.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// A lap of both clocks.
struct Lap {
    Clock::time_point wall = Clock::now();
    double cpu = thread_cpu_seconds();
    double wall_s() const { return seconds_since(wall); }
    double cpu_s() const { return thread_cpu_seconds() - cpu; }
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct BenchShape {
    std::string name;
    ModelConfig config;
};

// The shapes of the issue: "medium" is auto-configuration's third row with rank 2, "small"
// its second row with rank 2; vocab 65 is tinyshakespeare's character set.
std::vector<BenchShape> bench_shapes() {
    ModelConfig medium;
    medium.vocab_size = 65, medium.n_layer = 6, medium.n_embd = 256, medium.n_head = 8;
    medium.ctx_len = 256, medium.decay_lora_rank = 2, medium.ffn_multiplier = 2.0;
    medium.n_mem_slots = 4;
    ModelConfig small = medium;
    small.n_layer = 4, small.n_embd = 128, small.n_head = 4, small.ctx_len = 128;
    return {{"medium", medium}, {"small", small}};
}

struct Speed {
    double wall_gflops;  // by the wall clock
    double cpu_gflops;   // by this thread's CPU time
};

// cblas_sgemm C (m, n) = A (m, k) @ B (k, n), row-major, the way the model code calls it.
// One measurement runs enough products back to back (~50 ms) that the clock's resolution and
// the call overhead vanish.
class SgemmProbe {
public:
    SgemmProbe(std::size_t m, std::size_t k, std::size_t n)
        : m_(m), k_(k), n_(n), a_(m * k), b_(k * n), c_(m * n) {
        Rng rng(1);
        for (auto& x : a_) x = float(rng.uniform(-1, 1));
        for (auto& x : b_) x = float(rng.uniform(-1, 1));
        product();
        const Lap probe;
        product();
        inner_ = std::max(1, int(0.05 / std::max(probe.wall_s(), 1e-7)));
        measure();  // warm-up at full length
    }

    Speed measure() {
        const Lap lap;
        for (int i = 0; i < inner_; ++i) product();
        const double flops = matmul_flops(m_, k_, n_) * inner_;
        return {flops / lap.wall_s() / 1e9, flops / lap.cpu_s() / 1e9};
    }

    std::string name() const {
        return std::to_string(m_) + " x " + std::to_string(k_) + " x " + std::to_string(n_);
    }
    std::size_t m() const { return m_; }
    std::size_t k() const { return k_; }
    std::size_t n() const { return n_; }

private:
    void product() {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m_), int(n_), int(k_), 1.0f,
                    a_.data(), int(k_), b_.data(), int(n_), 0.0f, c_.data(), int(n_));
    }

    std::size_t m_, k_, n_;
    std::vector<float> a_, b_, c_;
    int inner_ = 1;
};

struct ChunkTimes {
    double forward_s, backward_s, total_s;  // wall clock; total includes the loss
    double cpu_s;                           // this thread's CPU time of the whole
};

// One chunk of ctx_len tokens through model_forward, model_loss and model_backward, in float,
// from a spec-initialised model: what one worker thread does per chunk when training.
class ChunkProbe {
public:
    explicit ChunkProbe(const ModelConfig& config)
        : T_(config.ctx_len), params_(config), grads_(config), ws_(config, T_), tokens_(T_ + 1) {
        initialize_parameters<float>(params_.layout, 1, params_.values);
        Rng rng(2);
        for (auto& id : tokens_) id = TokenId(rng.below(config.vocab_size));
        // Two untimed chunks: page in the workspace and the weights.
        measure();
        measure();
    }

    ChunkTimes measure() {
        const std::span<const TokenId> all(tokens_);
        const auto view = params_.view();
        std::fill(grads_.values.begin(), grads_.values.end(), 0.0f);
        const Lap lap;
        model_forward(view, all.first(T_), ws_);
        const double forward = lap.wall_s();
        model_loss(ws_, all.subspan(1), 0.0, 1.0 / double(T_));
        const Lap backward;
        model_backward(view, all.first(T_), ws_, grads_.mutable_view());
        return {forward, backward.wall_s(), lap.wall_s(), lap.cpu_s()};
    }

private:
    std::size_t T_;
    Parameters<float> params_, grads_;
    Workspace<float> ws_;
    std::vector<TokenId> tokens_;
};

// `x` to `digits` decimals, as the JSON lines give it (the number, not its text: core/json
// prints it in its shortest form, 12.5 rather than 12.500).
double rounded(double x, int digits) {
    const double scale = std::pow(10.0, digits);
    return std::round(x * scale) / scale;
}

std::string fixed(double x, int digits) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << x;
    return s.str();
}

}  // namespace

int bench_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn bench [options]\n\n"
        "One thread: the BLAS's own sgemm speed on the model's product shapes, then forward +\n"
        "backward of one chunk of the model, as tokens/s, FLOP/s and the ratio of the two.\n"
        "scripts/bench builds and runs this; docs/benchmarks.md has results.\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "shape", po::value<std::string>()->default_value("all"), "medium, small or all")(
        "repeats", po::value<int>()->default_value(10), "timed repetitions of each measurement")(
        "json", "print one JSON object per line instead of tables");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts);
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    const std::string shape = vm["shape"].as<std::string>();
    const int repeats = vm["repeats"].as<int>();
    const bool json = vm.count("json") > 0;
    if (shape != "medium" && shape != "small" && shape != "all")
        throw UserError("--shape must be medium, small or all (got '" + shape + "')");
    if (repeats < 1 || repeats > 10000)
        throw UserError("--repeats must be in 1..10000 (got " + std::to_string(repeats) + ")");

    blas_use_single_thread();
    if (!json)
        std::cout << "lrnn bench: 1 thread, float32, OpenBLAS " << openblas_get_corename() << " ("
                  << openblas_get_config() << ")\n";

    for (const BenchShape& s : bench_shapes()) {
        if (shape != "all" && shape != s.name) continue;
        const ModelConfig& c = s.config;
        const std::size_t T = c.ctx_len, d = c.n_embd, F = c.ffn_hidden();
        const double chunk_flops = training_matmul_flops(c, T);

        // (a) the ceiling: the products this shape does most, T x d x d (r, k, v, o) and
        // T x d x F (the SwiGLU's gate and up; down is F x d). (b) the model core.
        // The rounds interleave them, so that both see the same machine: on a shared machine
        // the speed drifts as other processes come and go, and a ratio of two measurements
        // taken minutes apart would measure that drift. The ratio is taken per round, then
        // its median over the rounds.
        std::vector<SgemmProbe> gemms;
        gemms.emplace_back(T, d, d);
        gemms.emplace_back(T, d, F);
        ChunkProbe chunk(c);
        std::vector<std::vector<Speed>> gemm_speeds(gemms.size());
        std::vector<double> forward, backward, total, cpu, ratio, cpu_ratio;
        for (int r = 0; r < repeats; ++r) {
            double round_best = 0, round_cpu_best = 0;
            for (std::size_t g = 0; g < gemms.size(); ++g) {
                const Speed speed = gemms[g].measure();
                gemm_speeds[g].push_back(speed);
                round_best = std::max(round_best, speed.wall_gflops);
                round_cpu_best = std::max(round_cpu_best, speed.cpu_gflops);
            }
            const ChunkTimes t = chunk.measure();
            forward.push_back(t.forward_s), backward.push_back(t.backward_s);
            total.push_back(t.total_s), cpu.push_back(t.cpu_s);
            ratio.push_back(chunk_flops / t.total_s / 1e9 / round_best);
            cpu_ratio.push_back(chunk_flops / t.cpu_s / 1e9 / round_cpu_best);
        }
        std::vector<Speed> gemm_best(gemms.size(), Speed{0, 0});
        double sgemm_best = 0;
        for (std::size_t g = 0; g < gemms.size(); ++g) {
            for (const Speed& speed : gemm_speeds[g]) {
                gemm_best[g].wall_gflops = std::max(gemm_best[g].wall_gflops, speed.wall_gflops);
                gemm_best[g].cpu_gflops = std::max(gemm_best[g].cpu_gflops, speed.cpu_gflops);
            }
            sgemm_best = std::max(sgemm_best, gemm_best[g].wall_gflops);
        }
        const double total_s = median(total), cpu_s = median(cpu);
        const double best_total_s = *std::min_element(total.begin(), total.end());
        const double tokens_per_s = double(T) / total_s;
        const double gflops = chunk_flops / total_s / 1e9, cpu_gflops = chunk_flops / cpu_s / 1e9;
        const double median_ratio = median(ratio), median_cpu_ratio = median(cpu_ratio);
        // Wall clock well above CPU time: other processes had the core part of the time.
        const bool busy = total_s > 1.1 * cpu_s;

        if (json) {
            for (std::size_t g = 0; g < gemms.size(); ++g)
                std::cout << json_compact({{"bench", "sgemm"},
                                        {"shape", s.name},
                                        {"m", gemms[g].m()},
                                        {"k", gemms[g].k()},
                                        {"n", gemms[g].n()},
                                        {"threads", 1},
                                        {"repeats", repeats},
                                        {"gflops", rounded(gemm_best[g].wall_gflops, 3)},
                                        {"cpu_gflops", rounded(gemm_best[g].cpu_gflops, 3)}})
                          << "\n";
            std::cout << json_compact({{"bench", "chunk_forward_backward"},
                                    {"shape", s.name},
                                    {"n_layer", c.n_layer},
                                    {"n_embd", d},
                                    {"n_head", c.n_head},
                                    {"T", T},
                                    {"n_mem_slots", c.n_mem_slots},
                                    {"decay_lora_rank", c.decay_lora_rank},
                                    {"ffn_hidden", F},
                                    {"vocab_size", c.vocab_size},
                                    {"threads", 1},
                                    {"repeats", repeats},
                                    {"forward_ms", rounded(1e3 * median(forward), 3)},
                                    {"backward_ms", rounded(1e3 * median(backward), 3)},
                                    {"total_ms", rounded(1e3 * total_s, 3)},
                                    {"best_total_ms", rounded(1e3 * best_total_s, 3)},
                                    {"cpu_total_ms", rounded(1e3 * cpu_s, 3)},
                                    {"tokens_per_s", rounded(tokens_per_s, 1)},
                                    {"matmul_gflop", rounded(chunk_flops / 1e9, 4)},
                                    {"gflops", rounded(gflops, 3)},
                                    {"cpu_gflops", rounded(cpu_gflops, 3)},
                                    {"sgemm_gflops", rounded(sgemm_best, 3)},
                                    {"ratio_to_sgemm", rounded(median_ratio, 4)},
                                    {"cpu_ratio_to_sgemm", rounded(median_cpu_ratio, 4)},
                                    {"busy", busy}})
                      << "\n";
            std::cout.flush();
            continue;
        }
        std::cout << "\n" << s.name << ": " << describe(c) << " (ffn_hidden " << F << ")\n"
                  << "  sgemm alone, best of " << repeats << ":\n";
        for (std::size_t g = 0; g < gemms.size(); ++g)
            std::cout << "    " << gemms[g].name() << ": " << fixed(gemm_best[g].wall_gflops, 1)
                      << " GFLOP/s (by CPU time " << fixed(gemm_best[g].cpu_gflops, 1) << ")\n";
        std::cout << "  one chunk of T = " << T << " tokens, forward + loss + backward, median of "
                  << repeats << ":\n"
                  << "    " << fixed(1e3 * total_s, 1) << " ms (forward " << fixed(1e3 * median(forward), 1)
                  << ", backward " << fixed(1e3 * median(backward), 1) << "; best "
                  << fixed(1e3 * best_total_s, 1) << "; CPU time " << fixed(1e3 * cpu_s, 1) << ")\n"
                  << "    " << fixed(tokens_per_s, 0) << " tokens/s; " << fixed(chunk_flops / 1e9, 3)
                  << " GFLOP of products -> " << fixed(gflops, 1) << " GFLOP/s (by CPU time "
                  << fixed(cpu_gflops, 1) << ")\n"
                  << "    achieved / sgemm: " << fixed(100 * median_ratio, 1)
                  << "% (by CPU time " << fixed(100 * median_cpu_ratio, 1)
                  << "%; median of the rounds' ratios)\n";
        if (busy)
            std::cout << "    note: the wall clock ran " << fixed(100 * (total_s / cpu_s - 1), 0)
                      << "% above this thread's CPU time: the machine was busy\n";
        std::cout.flush();
    }
    return 0;
}

}  // namespace lrnn::recipes
