#include "core/gemm_bf16.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "core/bf16.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/gemm_micro_kernels.hpp"
#include "core/text.hpp"

namespace lrnn {

namespace {

// The blocking of sgemm (core/gemm_kernels.cpp): kc x nc blocks of b, mc x kc blocks of a. KC
// is even, so only the last block of k can end in half a pair (padded with a zero product).
// Both paths use these numbers whatever their tile, so the kc-blocks, and the bits, agree.
constexpr std::size_t KC = 256;
constexpr std::size_t MC = 144;  // a multiple of the tiles' mr (8 and 6)
constexpr std::size_t NC = 1024;
static_assert(KC % 2 == 0);

std::size_t round_up(std::size_t x, std::size_t step) { return (x + step - 1) / step * step; }

// A buffer of T aligned to the cache line, uninitialised.
template <typename T>
class AlignedBuffer {
public:
    explicit AlignedBuffer(std::size_t count)
        : storage_(std::make_unique_for_overwrite<T[]>(count + 64 / sizeof(T))) {
        void* p = storage_.get();
        std::size_t space = (count + 64 / sizeof(T)) * sizeof(T);
        data_ = static_cast<T*>(std::align(64, count * sizeof(T), p, space));
    }
    T* data() const { return data_; }

private:
    std::unique_ptr<T[]> storage_;
    T* data_;
};

// dst[(q * width + j) * 2 + h] = bf16(src[(2q + h) * step_p + j * step_j]) for 2q + h < depth
// and j < valid, zero otherwise (q < ceil(depth / 2), j < width): a panel of bf16 pairs along
// p, one 32-bit word per (q, j). Both paths pack with this, so both see the same bf16 values.
void pack_bf16_pairs(const float* src, std::size_t step_p, std::size_t step_j, std::size_t depth,
                     std::size_t valid, std::size_t width, Bf16* dst) {
    const std::size_t pairs = (depth + 1) / 2;
    std::fill(dst, dst + pairs * width * 2, Bf16(0));
    if (step_j == 1 || step_p != 1) {
        for (std::size_t p = 0; p < depth; ++p) {
            const float* row = src + p * step_p;
            Bf16* out = dst + (p / 2) * width * 2 + (p % 2);
            for (std::size_t j = 0; j < valid; ++j) out[2 * j] = float_to_bf16_flushed(row[j * step_j]);
        }
        return;
    }
    for (std::size_t j = 0; j < valid; ++j) {  // p is the contiguous index
        const float* column = src + j * step_j;
        for (std::size_t p = 0; p < depth; ++p)
            dst[((p / 2) * width + j) * 2 + (p % 2)] = float_to_bf16_flushed(column[p]);
    }
}

// The emulated path's panel: the same bf16 values as floats, one row of `width` per k, the two
// halves of each pair swapped (k = 2q + 1 first), so that the fp32 micro-kernel, which adds its
// terms in order of the row, adds them in vdpbf16ps's order.
void unpack_swapped(const Bf16* pairs_panel, std::size_t pairs, std::size_t width, float* dst) {
    for (std::size_t q = 0; q < pairs; ++q)
        for (std::size_t j = 0; j < width; ++j) {
            const Bf16* word = pairs_panel + (q * width + j) * 2;
            dst[(2 * q) * width + j] = bf16_to_float(word[1]);
            dst[(2 * q + 1) * width + j] = bf16_to_float(word[0]);
        }
}

// c (rows x cols of a tile) = beta * c + tile, as the micro-kernels merge.
void merge_tile(const float* tile, std::size_t tile_cols, float* c, std::size_t ldc, float beta,
                std::size_t rows, std::size_t cols) {
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            float& out = c[i * ldc + j];
            const float sum = tile[i * tile_cols + j];
            out = beta == 0.0f ? sum : beta == 1.0f ? out + sum : beta * out + sum;
        }
}

// Flush-to-zero and denormals-are-zero for the emulated tile's FMAs, as vdpbf16ps has them;
// the caller's MXCSR comes back on destruction (the merge into c runs with it, as it does
// after vdpbf16ps). MXCSR belongs to the thread, so other threads are untouched.
class FlushToZeroScope {
public:
    FlushToZeroScope() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }
    ~FlushToZeroScope() { _mm_setcsr(saved_); }
    FlushToZeroScope(const FlushToZeroScope&) = delete;
    FlushToZeroScope& operator=(const FlushToZeroScope&) = delete;

private:
    unsigned saved_;
};

void blocked_bf16(Bf16GemmPath path, std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
                  MatrixOperand b, float beta, float* c, std::size_t ldc) {
    const bool hardware = path == Bf16GemmPath::Avx512Bf16;
    // The emulation runs the fp32 tile of the widest ISA here over the swapped float panels.
    const MicroKernel fp32 = cpu_features().avx512 ? avx512_micro_kernel() : avx2_micro_kernel();
    const std::size_t mr = hardware ? kBf16TileRows : fp32.mr;
    const std::size_t nr = hardware ? kBf16TileCols : fp32.nr;
    const std::size_t nc_max = round_up(std::min(n, NC), nr);
    const std::size_t mc_max = round_up(std::min(m, MC), mr);
    const std::size_t pairs_max = (std::min(k, KC) + 1) / 2;
    AlignedBuffer<Bf16> packed_b(pairs_max * 2 * nc_max), packed_a(pairs_max * 2 * mc_max);
    // Emulation only: the float panels, one of b per jr at a time and all of a's block.
    AlignedBuffer<float> float_b(hardware ? 0 : pairs_max * 2 * nr);
    AlignedBuffer<float> float_a(hardware ? 0 : pairs_max * 2 * mc_max);
    AlignedBuffer<float> tile(mr * nr);
    for (std::size_t jc = 0; jc < n; jc += NC) {
        const std::size_t nc = std::min(NC, n - jc);
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kc = std::min(KC, k - pc), pairs = (kc + 1) / 2;
            const float block_beta = pc == 0 ? beta : 1.0f;
            for (std::size_t jr = 0; jr < nc; jr += nr)
                pack_bf16_pairs(b.data + pc * b.row_stride + (jc + jr) * b.col_stride,
                                b.row_stride, b.col_stride, kc, std::min(nr, nc - jr), nr,
                                packed_b.data() + jr * pairs * 2);
            for (std::size_t ic = 0; ic < m; ic += MC) {
                const std::size_t mc = std::min(MC, m - ic);
                for (std::size_t ir = 0; ir < mc; ir += mr) {
                    Bf16* panel = packed_a.data() + ir * pairs * 2;
                    pack_bf16_pairs(a.data + (ic + ir) * a.row_stride + pc * a.col_stride,
                                    a.col_stride, a.row_stride, kc, std::min(mr, mc - ir), mr,
                                    panel);
                    if (!hardware) unpack_swapped(panel, pairs, mr, float_a.data() + ir * pairs * 2);
                }
                for (std::size_t jr = 0; jr < nc; jr += nr) {
                    const std::size_t cols = std::min(nr, nc - jr);
                    const Bf16* pb = packed_b.data() + jr * pairs * 2;
                    if (!hardware) unpack_swapped(pb, pairs, nr, float_b.data());
                    for (std::size_t ir = 0; ir < mc; ir += mr) {
                        const std::size_t rows = std::min(mr, mc - ir);
                        float* c_tile = c + (ic + ir) * ldc + jc + jr;
                        if (hardware) {
                            const auto* pa = reinterpret_cast<const std::uint32_t*>(
                                packed_a.data() + ir * pairs * 2);
                            const auto* pbw = reinterpret_cast<const std::uint32_t*>(pb);
                            if (rows == mr && cols == nr) {
                                avx512_bf16_8x32(pairs, pa, pbw, c_tile, ldc, block_beta);
                                continue;
                            }
                            avx512_bf16_8x32(pairs, pa, pbw, tile.data(), nr, 0.0f);
                        } else {
                            const FlushToZeroScope ftz;
                            fp32.run(2 * pairs, float_a.data() + ir * pairs * 2, 1, mr,
                                     float_b.data(), tile.data(), nr, 0.0f);
                        }
                        merge_tile(tile.data(), nr, c_tile, ldc, block_beta, rows, cols);
                    }
                }
            }
        }
    }
}

void scale(std::size_t m, std::size_t n, float beta, float* c, std::size_t ldc) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

// LRNN_GEMM_BF16=emulated|avx512_bf16 forces a path (to compare them, or to check that a run
// resumes with the same bits on a CPU without AVX512_BF16).
Bf16GemmPath choose_bf16_gemm_path() {
    const char* forced = std::getenv("LRNN_GEMM_BF16");
    if (forced == nullptr || *forced == '\0') {
        if (bf16_gemm_path_available(Bf16GemmPath::Avx512Bf16)) return Bf16GemmPath::Avx512Bf16;
        if (bf16_gemm_path_available(Bf16GemmPath::Emulated)) return Bf16GemmPath::Emulated;
        throw UserError("precision bf16 needs a CPU with AVX512_BF16, or AVX2 and FMA3 to emulate "
                        "it bit for bit; this CPU has " + describe(cpu_features()) +
                        " (use precision fp32)");
    }
    for (const Bf16GemmPath path : {Bf16GemmPath::Emulated, Bf16GemmPath::Avx512Bf16}) {
        if (bf16_gemm_path_name(path) != forced) continue;
        if (!bf16_gemm_path_available(path))
            throw UserError("LRNN_GEMM_BF16=" + std::string(forced) + ": this CPU (" +
                            describe(cpu_features()) + ") cannot run that kernel");
        return path;
    }
    throw UserError("LRNN_GEMM_BF16 must be emulated or avx512_bf16 (got '" + printable(forced) +
                    "')");
}

}  // namespace

std::string bf16_gemm_path_name(Bf16GemmPath path) {
    return path == Bf16GemmPath::Avx512Bf16 ? "avx512_bf16" : "emulated";
}

bool bf16_gemm_path_available(Bf16GemmPath path) {
    return path == Bf16GemmPath::Avx512Bf16 ? cpu_features().avx512_bf16 : cpu_features().avx2_fma;
}

std::vector<Bf16GemmPath> available_bf16_gemm_paths() {
    std::vector<Bf16GemmPath> paths;
    for (const Bf16GemmPath path : {Bf16GemmPath::Emulated, Bf16GemmPath::Avx512Bf16})
        if (bf16_gemm_path_available(path)) paths.push_back(path);
    return paths;
}

Bf16GemmPath best_bf16_gemm_path() {
    static const Bf16GemmPath path = choose_bf16_gemm_path();
    return path;
}

void bf16_sgemm(Bf16GemmPath path, std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
                MatrixOperand b, float beta, float* c, std::size_t ldc) {
    if (m == 0 || n == 0) return;
    if (!bf16_gemm_path_available(path))
        throw std::invalid_argument("bf16_sgemm: this CPU cannot run the " +
                                    bf16_gemm_path_name(path) + " kernel");
    if (k == 0) return scale(m, n, beta, c, ldc);
    blocked_bf16(path, m, n, k, a, b, beta, c, ldc);
}

}  // namespace lrnn
