// lrnn bench: how close the products and one training chunk come to the machine's peak.
//   lrnn bench [--shape medium|small|large|all] [--precision fp32|bf16|all] [--repeats N] [--json]
//
// Everything runs on ONE thread (no TBB here, the BLAS held to one thread): the numbers say how
// good the model core is per core; scaling over cores is the trainer's business.
//
// (p) the peaks: throughput loops of fp32 FMAs on the widest vectors the CPU has, and of bf16
//     dot products (vdpbf16ps) where it has AVX512_BF16 (peak_throughput.hpp).
// (a) each product path this CPU can run (core/gemm_kernels.hpp: openblas, avx2, avx512) on the
//     products one chunk of the shape does most: T x d x d and T x d x F forward, the backward
//     input product (b transposed) and the backward weight product (a transposed, adding to c);
//     best of the repeats, 2 FLOP per multiply-add.
// (b) model_forward + model_loss + model_backward of one chunk in float, through matmul (the
//     path best_gemm_path() picks): median of the repeats, as tokens/s and as matrix-product
//     FLOP/s (training_matmul_flops), and the ratios of those FLOP/s to the fp32 peak and to
//     the best product of the path in use. The rest of the time is the elementwise work and
//     the scan that the FLOP count does not credit.
// (c) with --precision bf16 or all (the default): the same products through each bf16 path
//     (core/gemm_bf16.hpp: emulated, avx512_bf16; bf16_sgemm, which rounds while it packs),
//     and the chunk with train.precision bf16 (the best bf16 path), its products' FLOP/s held
//     against the vdpbf16ps peak of the same round (no such ratio on a CPU without it).
// (p), (a), (b) and (c) alternate, one round each per repeat, and each ratio is the median of the
// rounds' ratios. All are timed by the wall clock and by this thread's CPU time. On a busy
// machine the wall clock also counts time other processes had the core; on a virtual machine
// even the CPU time counts time the host gave to others, so only alternating the measurements
// makes their ratio fair.

#include <cblas.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <functional>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/gemm_bf16.hpp"
#include "core/gemm_kernels.hpp"
#include "core/json.hpp"
#include "core/rng.hpp"
#include "model/model.hpp"
#include "model/packed_weights.hpp"
#include "command_line.hpp"
#include "peak_throughput.hpp"
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

// The shapes of the issues: "medium" is auto-configuration's third row with rank 2, "small"
// its second row with rank 2, "large" 8 x 512 at T 512 (about 25 M parameters), the size that
// more cores train; vocab 65 is tinyshakespeare's character set.
std::vector<BenchShape> bench_shapes() {
    ModelConfig medium;
    medium.vocab_size = 65, medium.n_layer = 6, medium.n_embd = 256, medium.n_head = 8;
    medium.ctx_len = 256, medium.decay_lora_rank = 2, medium.ffn_multiplier = 2.0;
    medium.n_mem_slots = 4;
    ModelConfig small = medium;
    small.n_layer = 4, small.n_embd = 128, small.n_head = 4, small.ctx_len = 128;
    ModelConfig large = medium;
    large.n_layer = 8, large.n_embd = 512, large.n_head = 8, large.ctx_len = 512;
    return {{"medium", medium}, {"small", small}, {"large", large}};
}

struct Speed {
    double wall_gflops;  // by the wall clock
    double cpu_gflops;   // by this thread's CPU time
};

Speed best_of(const std::vector<Speed>& speeds) {
    Speed best{0, 0};
    for (const Speed& s : speeds) {
        best.wall_gflops = std::max(best.wall_gflops, s.wall_gflops);
        best.cpu_gflops = std::max(best.cpu_gflops, s.cpu_gflops);
    }
    return best;
}

// Runs `work` (doing `flops` each time) back to back for ~30 ms per measurement, so that the
// clock's resolution and the call overhead vanish.
class ThroughputProbe {
public:
    ThroughputProbe(double flops, std::function<void()> work)
        : flops_(flops), work_(std::move(work)) {
        work_();
        const Lap probe;
        work_();
        inner_ = std::max(1, int(0.03 / std::max(probe.wall_s(), 1e-7)));
        measure();  // warm-up at full length
    }

    Speed measure() {
        const Lap lap;
        for (int i = 0; i < inner_; ++i) work_();
        const double flops = flops_ * inner_;
        return {flops / lap.wall_s() / 1e9, flops / lap.cpu_s() / 1e9};
    }

private:
    double flops_;
    std::function<void()> work_;
    int inner_ = 1;
};

// A peak loop (peak_throughput.hpp) as a probe: 100k iterations a call.
struct PeakProbe {
    PeakLoop loop;
    float sink = 0;
    ThroughputProbe probe;
    explicit PeakProbe(const PeakLoop& l)
        : loop(l), probe(l.flops_per_iteration * 1e5, [this] { sink += loop.run(100000); }) {}
    PeakProbe(const PeakProbe&) = delete;  // the probe's work refers to this object
    PeakProbe& operator=(const PeakProbe&) = delete;
};

// The layouts of the model's products (core/gemm.hpp): forward x @ W, the backward input
// product dy @ W^T, the backward weight product x^T @ dy (which adds to the gradient).
enum class ProductLayout { Forward, BackwardInput, BackwardWeight };

const char* layout_name(ProductLayout l) {
    switch (l) {
        case ProductLayout::Forward: return "a@b";
        case ProductLayout::BackwardInput: return "a@b^T";
        case ProductLayout::BackwardWeight: return "a^T@b+c";
    }
    return "?";
}

// A product kernel: an fp32 path (sgemm) or a bf16 one (bf16_sgemm).
struct ProductKernel {
    bool bf16 = false;
    GemmPath path = GemmPath::Openblas;
    Bf16GemmPath bf16_path = Bf16GemmPath::Emulated;
    std::string name() const { return bf16 ? "bf16_" + bf16_gemm_path_name(bf16_path) : gemm_path_name(path); }
};

// c (m, n) = a (m, k) @ b (k, n) on one kernel, in one of the layouts.
class ProductProbe {
public:
    ProductProbe(ProductKernel kernel, ProductLayout layout, std::size_t m, std::size_t k, std::size_t n)
        : kernel_(kernel), layout_(layout), m_(m), k_(k), n_(n), a_(m * k), b_(k * n), c_(m * n),
          probe_(matmul_flops(m, k, n), [this] { product(); }) {}
    ProductProbe(const ProductProbe&) = delete;  // the probe's work refers to this object
    ProductProbe& operator=(const ProductProbe&) = delete;

    Speed measure() { return probe_.measure(); }
    const ProductKernel& kernel() const { return kernel_; }
    // An fp32 kernel on `path`.
    bool is_fp32(GemmPath path) const { return !kernel_.bf16 && kernel_.path == path; }
    ProductLayout layout() const { return layout_; }
    std::size_t m() const { return m_; }
    std::size_t k() const { return k_; }
    std::size_t n() const { return n_; }
    std::string name() const {
        return std::to_string(m_) + " x " + std::to_string(k_) + " x " + std::to_string(n_) + " " +
               layout_name(layout_);
    }

private:
    void product() {
        if (!filled_) {  // once, before the first (untimed) call
            Rng rng(1);
            for (auto& x : a_) x = float(rng.uniform(-1, 1));
            for (auto& x : b_) x = float(rng.uniform(-1, 1));
            filled_ = true;
        }
        const MatrixOperand a = layout_ == ProductLayout::BackwardWeight
                                    ? MatrixOperand{a_.data(), 1, m_}
                                    : MatrixOperand{a_.data(), k_, 1};
        const MatrixOperand b = layout_ == ProductLayout::BackwardInput
                                    ? MatrixOperand{b_.data(), 1, k_}
                                    : MatrixOperand{b_.data(), n_, 1};
        const float beta = layout_ == ProductLayout::BackwardWeight ? 1.0f : 0.0f;
        // Adding to c over and over: keep it bounded.
        if (beta != 0.0f) std::fill(c_.begin(), c_.end(), 0.0f);
        if (kernel_.bf16)
            bf16_sgemm(kernel_.bf16_path, m_, n_, k_, a, b, beta, c_.data(), n_);
        else
            sgemm(kernel_.path, m_, n_, k_, a, b, beta, c_.data(), n_);
    }

    ProductKernel kernel_;
    ProductLayout layout_;
    std::size_t m_, k_, n_;
    std::vector<float> a_, b_, c_;
    bool filled_ = false;
    ThroughputProbe probe_;
};

struct ChunkTimes {
    double forward_s, backward_s, total_s;  // wall clock; total includes the loss
    double cpu_s;                           // this thread's CPU time of the whole
    double pack_s;  // bf16: packing the weights, once a step in training: not in total_s
};

// One chunk of ctx_len tokens through model_forward, model_loss and model_backward, in float,
// from a spec-initialised model: what one worker thread does per chunk when training, in bf16
// over the weights packed for the step (model/packed_weights.hpp). Their packing, which a step
// does once for all its chunks (train/batch_gradient.hpp), is timed on its own.
class ChunkProbe {
public:
    ChunkProbe(const ModelConfig& config, Precision precision)
        : T_(config.ctx_len), params_(config), grads_(config), ws_(config, T_, precision), tokens_(T_ + 1) {
        initialize_parameters<float>(params_.layout, 1, params_.values);
        if (rounds_to_bf16(precision)) {
            packed_.emplace(params_, precision, PackedOrientations::ForwardAndBackward);
            ws_.packed_weights = &*packed_;
        }
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
        const Lap pack;
        if (packed_) packed_->repack();
        const double pack_s = pack.wall_s();
        const Lap lap;
        model_forward(view, all.first(T_), ws_);
        const double forward = lap.wall_s();
        model_loss(ws_, all.subspan(1), 0.0, 1.0 / double(T_));
        const Lap backward;
        model_backward(view, all.first(T_), ws_, grads_.mutable_view());
        return {forward, backward.wall_s(), lap.wall_s(), lap.cpu_s(), pack_s};
    }

private:
    std::size_t T_;
    Parameters<float> params_, grads_;
    Workspace<float> ws_;
    std::optional<PackedWeights> packed_;
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


// The peaks, measured once per round: every loop this CPU can run.
class Peaks {
public:
    Peaks() {
        for (const PeakLoop& loop : peak_loops()) probes_.emplace_back(loop);
        speeds_.resize(probes_.size());
    }
    // One round; returns the round's fp32 peak (the best fp32 loop), wall and CPU. The round's
    // peak of each kind is kept for last().
    Speed measure_round() {
        last_ = {};
        for (std::size_t i = 0; i < probes_.size(); ++i) {
            const Speed s = probes_[i].probe.measure();
            speeds_[i].push_back(s);
            Speed& kind = last_[std::size_t(probes_[i].loop.kind)];
            kind = best_of({kind, s});
        }
        return last(PeakKind::Fp32);
    }
    // The last round's best loop of a kind ({0, 0} where this CPU has none).
    Speed last(PeakKind kind) const { return last_[std::size_t(kind)]; }
    // The best of all rounds of the loops of a kind ({0, 0} where this CPU has none).
    Speed best_of_kind(PeakKind kind) const {
        Speed b{0, 0};
        for (std::size_t i = 0; i < size(); ++i)
            if (loop(i).kind == kind) b = best_of({b, best(i)});
        return b;
    }
    std::size_t size() const { return probes_.size(); }
    const PeakLoop& loop(std::size_t i) const { return probes_[i].loop; }
    Speed best(std::size_t i) const { return best_of(speeds_[i]); }

private:
    std::deque<PeakProbe> probes_;
    std::vector<std::vector<Speed>> speeds_;
    std::array<Speed, 3> last_{};  // per PeakKind
};

// A chunk in bf16 or bf16_amx, with its rounds' times (s) and ratios to the round's vdpbf16ps
// peak and AMX tile peak (each only where the CPU has it).
struct Bf16Chunk {
    Precision precision;
    ChunkProbe probe;
    std::vector<double> total, cpu, pack, to_dot_peak, cpu_to_dot_peak, to_amx_peak;

    Bf16Chunk(const ModelConfig& c, Precision p) : precision(p), probe(c, p) {}
    void measure(double chunk_flops, const Peaks& peaks) {
        const ChunkTimes t = probe.measure();
        total.push_back(t.total_s), cpu.push_back(t.cpu_s), pack.push_back(t.pack_s);
        const Speed dot = peaks.last(PeakKind::Bf16Dot), amx = peaks.last(PeakKind::Amx);
        if (dot.wall_gflops > 0) {
            to_dot_peak.push_back(chunk_flops / t.total_s / 1e9 / dot.wall_gflops);
            cpu_to_dot_peak.push_back(chunk_flops / t.cpu_s / 1e9 / dot.cpu_gflops);
        }
        if (amx.wall_gflops > 0) to_amx_peak.push_back(chunk_flops / t.total_s / 1e9 / amx.wall_gflops);
    }
};

// The peak a product is held against: fp32's, vdpbf16ps's for bf16, the tiles' for amx (0
// where the CPU has none).
double product_peak(const ProductKernel& kernel, Speed fp32, Speed bf16, Speed amx) {
    if (!kernel.bf16) return fp32.wall_gflops;
    return kernel.bf16_path == Bf16GemmPath::Amx ? amx.wall_gflops : bf16.wall_gflops;
}

// Floats as the JSON lines give them: 3 decimals.
double r3(double x) { return rounded(x, 3); }

}  // namespace

int bench_main(int argc, char** argv) {
    po::options_description opts(
        "lrnn bench [options]\n\n"
        "One thread: the machine's fp32 (and bf16) peak, each product path's speed on the model's\n"
        "product shapes, then forward + backward of one chunk of the model, as tokens/s, FLOP/s\n"
        "and the ratios to the peak and to the products. scripts/bench builds and runs this;\n"
        "docs/benchmarks.md has results.\n\noptions");
    opts.add_options()("help,h", "show this help")(
        "shape", po::value<std::string>()->default_value("all"), "medium, small, large or all")(
        "precision", po::value<std::string>()->default_value("all"),
        "fp32, bf16 or all: the chunk's products (bf16: also the bf16 product paths)")(
        "repeats", po::value<int>()->default_value(10), "timed repetitions of each measurement")(
        "json", "print one JSON object per line instead of tables");
    const std::optional<CommandLine> line = parse_command_line(argc, argv, opts);
    if (!line) return 0;  // the help was asked for (and printed)
    const po::variables_map& vm = line->options;
    const std::string shape = vm["shape"].as<std::string>();
    const int repeats = vm["repeats"].as<int>();
    const bool json = vm.count("json") > 0;
    const std::string precision = vm["precision"].as<std::string>();
    if (precision != "fp32" && precision != "bf16" && precision != "all")
        throw UserError("--precision must be fp32, bf16 or all (got '" + precision + "')");
    const bool run_fp32 = precision != "bf16";
    // bf16 needs a bf16 path (UserError from best_bf16_gemm_path otherwise, when asked for).
    const bool run_bf16 = precision == "bf16" || (precision == "all" && !available_bf16_gemm_paths().empty());
    const Bf16GemmPath bf16_in_use = run_bf16 ? best_bf16_gemm_path() : Bf16GemmPath::Emulated;
    if (shape != "medium" && shape != "small" && shape != "large" && shape != "all")
        throw UserError("--shape must be medium, small, large or all (got '" + shape + "')");
    if (repeats < 1 || repeats > 10000)
        throw UserError("--repeats must be in 1..10000 (got " + std::to_string(repeats) + ")");

    blas_use_single_thread();
    const GemmPath in_use = best_gemm_path();
    if (!json)
        std::cout << "lrnn bench: 1 thread; CPU " << describe(cpu_features())
                  << "; products by " << gemm_path_name(in_use) << "; OpenBLAS "
                  << openblas_get_corename() << " (" << openblas_get_config() << ")"
                  << (run_bf16 ? "; bf16 products by " + bf16_gemm_path_name(bf16_in_use) : std::string())
                  << (run_bf16 && bf16_gemm_path_available(Bf16GemmPath::Amx) ? "; bf16_amx products by amx" : "")
                  << "\n";

    Peaks peaks;
    for (const BenchShape& s : bench_shapes()) {
        if (shape != "all" && shape != s.name) continue;
        const ModelConfig& c = s.config;
        const std::size_t T = c.ctx_len, d = c.n_embd, F = c.ffn_hidden();
        const double chunk_flops = training_matmul_flops(c, T);

        // (a) every path on the products this shape does most: T x d x d (r, k, v, o) and
        // T x d x F (the SwiGLU's gate and up) forward, the backward input product of gate/up
        // (T x F x d, b transposed) and their weight gradient (d x T x F, a transposed).
        std::vector<ProductKernel> kernels;
        if (run_fp32)
            for (const GemmPath path : available_gemm_paths()) kernels.push_back({false, path, {}});
        if (run_bf16)
            for (const Bf16GemmPath path : available_bf16_gemm_paths()) kernels.push_back({true, {}, path});
        if (run_bf16 && bf16_gemm_path_available(Bf16GemmPath::Amx)) kernels.push_back({true, {}, Bf16GemmPath::Amx});
        std::deque<ProductProbe> products;
        for (const ProductKernel& kernel : kernels) {
            products.emplace_back(kernel, ProductLayout::Forward, T, d, d);
            products.emplace_back(kernel, ProductLayout::Forward, T, d, F);
            products.emplace_back(kernel, ProductLayout::BackwardInput, T, F, d);
            products.emplace_back(kernel, ProductLayout::BackwardWeight, d, T, F);
        }
        std::optional<ChunkProbe> chunk;
        if (run_fp32) chunk.emplace(c, Precision::Fp32);
        // The bf16 chunks: bf16, and bf16_amx where the CPU has AMX.
        std::deque<Bf16Chunk> bf16_chunks;
        if (run_bf16) bf16_chunks.emplace_back(c, Precision::Bf16);
        if (run_bf16 && bf16_gemm_path_available(Bf16GemmPath::Amx)) bf16_chunks.emplace_back(c, Precision::Bf16Amx);
        std::vector<std::vector<Speed>> product_speeds(products.size());
        std::vector<double> forward, backward, total, cpu;
        std::vector<double> to_peak, cpu_to_peak, to_products, cpu_to_products;
        for (int r = 0; r < repeats; ++r) {
            const Speed peak = peaks.measure_round();
            Speed in_use_best{0, 0};  // the best forward product of the path matmul uses
            for (std::size_t g = 0; g < products.size(); ++g) {
                const Speed speed = products[g].measure();
                product_speeds[g].push_back(speed);
                if (products[g].is_fp32(in_use) && products[g].layout() == ProductLayout::Forward)
                    in_use_best = best_of({in_use_best, speed});
            }
            if (chunk) {
                const ChunkTimes t = chunk->measure();
                forward.push_back(t.forward_s), backward.push_back(t.backward_s);
                total.push_back(t.total_s), cpu.push_back(t.cpu_s);
                const double wall = chunk_flops / t.total_s / 1e9, by_cpu = chunk_flops / t.cpu_s / 1e9;
                to_peak.push_back(wall / peak.wall_gflops);
                cpu_to_peak.push_back(by_cpu / peak.cpu_gflops);
                to_products.push_back(wall / in_use_best.wall_gflops);
                cpu_to_products.push_back(by_cpu / in_use_best.cpu_gflops);
            }
            for (Bf16Chunk& b : bf16_chunks) b.measure(chunk_flops, peaks);
        }
        const Speed fp32_peak = peaks.best_of_kind(PeakKind::Fp32);
        const Speed bf16_peak = peaks.best_of_kind(PeakKind::Bf16Dot);
        const Speed amx_peak = peaks.best_of_kind(PeakKind::Amx);
        double in_use_product = 0;
        for (std::size_t g = 0; g < products.size(); ++g)
            if (products[g].is_fp32(in_use) && products[g].layout() == ProductLayout::Forward)
                in_use_product = std::max(in_use_product, best_of(product_speeds[g]).wall_gflops);
        const double total_s = chunk ? median(total) : 0, cpu_s = chunk ? median(cpu) : 0;
        const double best_total_s = chunk ? *std::min_element(total.begin(), total.end()) : 0;
        const double tokens_per_s = double(T) / total_s;
        const double gflops = chunk_flops / total_s / 1e9, cpu_gflops = chunk_flops / cpu_s / 1e9;
        // Wall clock well above CPU time: other processes had the core part of the time.
        const bool busy = total_s > 1.1 * cpu_s;
        const auto ratio_json = [](const std::vector<double>& ratios) {
            return ratios.empty() ? Json() : Json(rounded(median(ratios), 4));
        };

        if (json) {
            for (std::size_t i = 0; i < peaks.size(); ++i)
                std::cout << json_compact({{"bench", "peak"},
                                        {"loop", peaks.loop(i).name},
                                        {"threads", 1},
                                        {"gflops", r3(peaks.best(i).wall_gflops)},
                                        {"cpu_gflops", r3(peaks.best(i).cpu_gflops)}})
                          << "\n";
            for (std::size_t g = 0; g < products.size(); ++g) {
                const Speed b = best_of(product_speeds[g]);
                const bool bf16 = products[g].kernel().bf16;
                // A bf16 product is held against the bf16 peak, an AMX one against AMX's (null
                // without one).
                const double peak = product_peak(products[g].kernel(), fp32_peak, bf16_peak, amx_peak);
                const Json of_peak = peak > 0 ? Json(rounded(b.wall_gflops / peak, 4)) : Json();
                std::cout << json_compact({{"bench", bf16 ? "bf16_sgemm" : "sgemm"},
                                        {"shape", s.name},
                                        {"path", bf16 ? bf16_gemm_path_name(products[g].kernel().bf16_path)
                                                      : gemm_path_name(products[g].kernel().path)},
                                        {"layout", layout_name(products[g].layout())},
                                        {"m", products[g].m()},
                                        {"k", products[g].k()},
                                        {"n", products[g].n()},
                                        {"threads", 1},
                                        {"repeats", repeats},
                                        {"gflops", r3(b.wall_gflops)},
                                        {"cpu_gflops", r3(b.cpu_gflops)},
                                        {!bf16 ? "ratio_to_fp32_peak"
                                         : products[g].kernel().bf16_path == Bf16GemmPath::Amx ? "ratio_to_amx_peak"
                                                                                              : "ratio_to_bf16_peak",
                                         of_peak}})
                          << "\n";
            }
            for (const Bf16Chunk& b : bf16_chunks) {
                const double chunk_s = median(b.total), chunk_cpu_s = median(b.cpu);
                std::cout << json_compact(
                    {{"bench", "chunk_forward_backward"},
                     {"shape", s.name},
                     {"precision", precision_name(b.precision)},
                     {"threads", 1},
                     {"repeats", repeats},
                     {"bf16_gemm_path", bf16_gemm_path_name(bf16_gemm_path_for(b.precision))},
                     {"total_ms", r3(1e3 * chunk_s)},
                     {"cpu_total_ms", r3(1e3 * chunk_cpu_s)},
                     {"pack_weights_ms", r3(1e3 * median(b.pack))},
                     {"tokens_per_s", rounded(double(T) / chunk_s, 1)},
                     {"matmul_gflop", rounded(chunk_flops / 1e9, 4)},
                     {"gflops", r3(chunk_flops / chunk_s / 1e9)},
                     {"cpu_gflops", r3(chunk_flops / chunk_cpu_s / 1e9)},
                     {"bf16_peak_gflops", bf16_peak.wall_gflops > 0 ? Json(r3(bf16_peak.wall_gflops)) : Json()},
                     {"ratio_to_bf16_peak", ratio_json(b.to_dot_peak)},
                     {"cpu_ratio_to_bf16_peak", ratio_json(b.cpu_to_dot_peak)},
                     {"amx_peak_gflops", amx_peak.wall_gflops > 0 ? Json(r3(amx_peak.wall_gflops)) : Json()},
                     {"ratio_to_amx_peak", ratio_json(b.to_amx_peak)},
                     {"busy", chunk_s > 1.1 * chunk_cpu_s}})
                          << "\n";
            }
            if (!chunk) {
                std::cout.flush();
                continue;
            }
            std::cout << json_compact({{"bench", "chunk_forward_backward"},
                                    {"shape", s.name},
                                    {"precision", "fp32"},
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
                                    {"gemm_path", gemm_path_name(in_use)},
                                    {"forward_ms", r3(1e3 * median(forward))},
                                    {"backward_ms", r3(1e3 * median(backward))},
                                    {"total_ms", r3(1e3 * total_s)},
                                    {"best_total_ms", r3(1e3 * best_total_s)},
                                    {"cpu_total_ms", r3(1e3 * cpu_s)},
                                    {"tokens_per_s", rounded(tokens_per_s, 1)},
                                    {"matmul_gflop", rounded(chunk_flops / 1e9, 4)},
                                    {"gflops", r3(gflops)},
                                    {"cpu_gflops", r3(cpu_gflops)},
                                    {"fp32_peak_gflops", r3(fp32_peak.wall_gflops)},
                                    {"ratio_to_fp32_peak", rounded(median(to_peak), 4)},
                                    {"cpu_ratio_to_fp32_peak", rounded(median(cpu_to_peak), 4)},
                                    {"sgemm_gflops", r3(in_use_product)},
                                    {"ratio_to_sgemm", rounded(median(to_products), 4)},
                                    {"cpu_ratio_to_sgemm", rounded(median(cpu_to_products), 4)},
                                    {"busy", busy}})
                      << "\n";
            std::cout.flush();
            continue;
        }
        if (s.name == bench_shapes().front().name || shape != "all") {
            std::cout << "\npeaks, best of " << repeats << " rounds:\n";
            for (std::size_t i = 0; i < peaks.size(); ++i)
                std::cout << "  " << peaks.loop(i).name << ": " << fixed(peaks.best(i).wall_gflops, 1)
                          << " GFLOP/s (by CPU time " << fixed(peaks.best(i).cpu_gflops, 1) << ")\n";
        }
        std::cout << "\n" << s.name << ": " << describe(c) << " (ffn_hidden " << F << ")\n"
                  << "  products alone, best of " << repeats << "; of the fp32 peak "
                  << fixed(fp32_peak.wall_gflops, 1)
                  << (bf16_peak.wall_gflops > 0 ? " (bf16 products: of the bf16 peak " + fixed(bf16_peak.wall_gflops, 1) + ")"
                                                : std::string())
                  << (amx_peak.wall_gflops > 0 ? " (amx: of the AMX peak " + fixed(amx_peak.wall_gflops, 1) + ")"
                                               : std::string())
                  << ":\n";
        for (std::size_t g = 0; g < products.size(); ++g) {
            const Speed b = best_of(product_speeds[g]);
            const double peak = product_peak(products[g].kernel(), fp32_peak, bf16_peak, amx_peak);
            std::cout << "    " << std::left << std::setw(17) << products[g].kernel().name()
                      << std::setw(24) << products[g].name() << std::right << std::setw(7)
                      << fixed(b.wall_gflops, 1) << " GFLOP/s " << std::setw(5)
                      << (peak > 0 ? fixed(100 * b.wall_gflops / peak, 1) + "%" : std::string("  -"))
                      << " (by CPU time " << fixed(b.cpu_gflops, 1) << ")\n";
        }
        for (const Bf16Chunk& b : bf16_chunks) {
            const double chunk_s = median(b.total), chunk_cpu_s = median(b.cpu);
            std::cout << "  one chunk in " << precision_name(b.precision) << " (products by "
                      << bf16_gemm_path_name(bf16_gemm_path_for(b.precision)) << "), median of " << repeats << ":\n"
                      << "    " << fixed(1e3 * chunk_s, 1) << " ms (CPU time " << fixed(1e3 * chunk_cpu_s, 1)
                      << "); " << fixed(double(T) / chunk_s, 0) << " tokens/s; "
                      << fixed(chunk_flops / chunk_s / 1e9, 1) << " GFLOP/s of products\n"
                      << "    weights packed once a step (not in the chunk's time): "
                      << fixed(1e3 * median(b.pack), 2) << " ms\n";
            if (!b.to_dot_peak.empty())
                std::cout << "    achieved / bf16 (vdpbf16ps) peak: " << fixed(100 * median(b.to_dot_peak), 1)
                          << "% (by CPU time " << fixed(100 * median(b.cpu_to_dot_peak), 1) << "%)\n";
            if (!b.to_amx_peak.empty())
                std::cout << "    achieved / AMX tile peak: " << fixed(100 * median(b.to_amx_peak), 1) << "%\n";
            if (chunk_s > 1.1 * chunk_cpu_s) std::cout << "    note: the machine was busy (wall clock above CPU time)\n";
        }
        if (!chunk) {
            std::cout.flush();
            continue;
        }
        std::cout << "  one chunk of T = " << T << " tokens, forward + loss + backward, products by "
                  << gemm_path_name(in_use) << ", median of " << repeats << ":\n"
                  << "    " << fixed(1e3 * total_s, 1) << " ms (forward " << fixed(1e3 * median(forward), 1)
                  << ", backward " << fixed(1e3 * median(backward), 1) << "; best "
                  << fixed(1e3 * best_total_s, 1) << "; CPU time " << fixed(1e3 * cpu_s, 1) << ")\n"
                  << "    " << fixed(tokens_per_s, 0) << " tokens/s; " << fixed(chunk_flops / 1e9, 3)
                  << " GFLOP of products -> " << fixed(gflops, 1) << " GFLOP/s (by CPU time "
                  << fixed(cpu_gflops, 1) << ")\n"
                  << "    achieved / fp32 peak: " << fixed(100 * median(to_peak), 1)
                  << "% (by CPU time " << fixed(100 * median(cpu_to_peak), 1) << "%)\n"
                  << "    achieved / " << gemm_path_name(in_use) << " products: "
                  << fixed(100 * median(to_products), 1) << "% (by CPU time "
                  << fixed(100 * median(cpu_to_products), 1) << "%; medians of the rounds' ratios)\n";
        if (busy)
            std::cout << "    note: the wall clock ran " << fixed(100 * (total_s / cpu_s - 1), 0)
                      << "% above this thread's CPU time: the machine was busy\n";
        std::cout.flush();
    }
    return 0;
}

}  // namespace lrnn::recipes
