#include "core/gemm_bf16.hpp"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "core/bf16.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/gemm_micro_kernels.hpp"
#include "core/text.hpp"
#include "core/vector_clones.hpp"

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

// float_to_bf16_flushed (core/bf16.hpp) as selects rather than branches, so that the loops
// below are vectorized: the same bits (tests/gemm_bf16_test.cpp holds them to the scalar one).
[[gnu::always_inline]] inline std::uint32_t bf16_bits(float x) {
    const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
    const std::uint32_t flushed = (b & 0x7f800000u) == 0 ? (b & 0x80000000u) : b;
    const std::uint32_t nearest = (flushed + 0x7fffu + ((flushed >> 16) & 1u)) >> 16;
    return (b & 0x7fffffffu) > 0x7f800000u ? ((b >> 16) | 0x40u) & 0xffffu : nearest;
}

// words[j] = bf16(even[j]) | bf16(odd[j]) << 16 for j < n: a pair from two rows of the source.
LRNN_VECTOR_CLONES void interleave_rows(const float* even, const float* odd, std::size_t n,
                                        std::uint32_t* words) {
    for (std::size_t j = 0; j < n; ++j) words[j] = bf16_bits(even[j]) | (bf16_bits(odd[j]) << 16);
}
LRNN_VECTOR_CLONES void interleave_last_row(const float* even, std::size_t n, std::uint32_t* words) {
    for (std::size_t j = 0; j < n; ++j) words[j] = bf16_bits(even[j]);
}

// words[q] = bf16(src[2q]) | bf16(src[2q + 1]) << 16 for q < depth / 2, and the last, half
// pair, if depth is odd: pairs from one contiguous run of the source.
LRNN_VECTOR_CLONES void pairs_along(const float* src, std::size_t depth, std::uint32_t* words) {
    const std::size_t full = depth / 2;
    for (std::size_t q = 0; q < full; ++q)
        words[q] = bf16_bits(src[2 * q]) | (bf16_bits(src[2 * q + 1]) << 16);
    if (depth % 2) words[full] = bf16_bits(src[depth - 1]);
}

// words[q * width + j] = bf16(src[2q * step_p + j * step_j]) | bf16(src[(2q + 1) * step_p + ...]) << 16
// for j < valid (the high half zero past depth), zero for valid <= j < width, q < ceil(depth / 2):
// a panel of bf16 pairs along p, one 32-bit word per (q, j), low half k = 2q. Both paths pack
// with this, so both see the same bf16 values. `scratch` holds ceil(depth / 2) words.
void pack_bf16_pairs(const float* src, std::size_t step_p, std::size_t step_j, std::size_t depth,
                     std::size_t valid, std::size_t width, std::uint32_t* words,
                     std::uint32_t* scratch) {
    const std::size_t pairs = (depth + 1) / 2;
    if (step_j == 1) {  // j contiguous (x^T, and b as stored): two rows make a row of pairs
        for (std::size_t q = 0; q < pairs; ++q) {
            const float* even = src + 2 * q * step_p;
            std::uint32_t* out = words + q * width;
            if (2 * q + 1 < depth) interleave_rows(even, even + step_p, valid, out);
            else interleave_last_row(even, valid, out);
            std::fill(out + valid, out + width, 0u);
        }
        return;
    }
    if (step_p == 1) {  // p contiguous (x as stored, and W^T): a run of p makes a column of pairs
        for (std::size_t j = 0; j < valid; ++j) {
            pairs_along(src + j * step_j, depth, scratch);
            for (std::size_t q = 0; q < pairs; ++q) words[q * width + j] = scratch[q];
        }
    } else {
        for (std::size_t j = 0; j < valid; ++j)
            for (std::size_t q = 0; q < pairs; ++q) {
                const float* e = src + 2 * q * step_p + j * step_j;
                words[q * width + j] =
                    bf16_bits(*e) | (2 * q + 1 < depth ? bf16_bits(e[step_p]) << 16 : 0u);
            }
    }
    for (std::size_t q = 0; q < pairs; ++q) std::fill(words + q * width + valid, words + (q + 1) * width, 0u);
}

// The hardware path's packing: the same values (vcvtne2ps2bf16 rounds to nearest-even and reads
// float32 subnormals as zero: float_to_bf16_flushed, checked on all 2^32 floats, docs/kernels.md),
// at one instruction per 32 floats.
#define LRNN_BF16_PACKING __attribute__((target("avx512f,avx512bw,avx512bf16,avx2")))

LRNN_BF16_PACKING inline __mmask16 first_lanes(std::size_t n) {
    return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
}

// words[j] = bf16(even[j]) | bf16(odd[j]) << 16 for j < n (odd == nullptr: zero), as
// interleave_rows.
LRNN_BF16_PACKING void hw_interleave_rows(const float* even, const float* odd, std::size_t n,
                                          std::uint32_t* words) {
    // cvtne2ps gives even's 16 values in words 0..15 and odd's in 16..31; word 2j of the
    // result takes word j, word 2j + 1 word 16 + j.
    alignas(64) static constexpr std::uint16_t order[32] = {
        0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
        8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i interleave = _mm512_load_si512(order);
    for (std::size_t j = 0; j < n; j += 16) {
        const __mmask16 lanes = first_lanes(n - j);
        const __m512 e = _mm512_maskz_loadu_ps(lanes, even + j);
        const __m512 o = odd ? _mm512_maskz_loadu_ps(lanes, odd + j) : _mm512_setzero_ps();
        const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(o, e);
        _mm512_mask_storeu_epi32(words + j, lanes, _mm512_permutexvar_epi16(interleave, both));
    }
}

// words[q] = bf16(src[2q]) | bf16(src[2q + 1]) << 16 for q < ceil(depth / 2), as pairs_along.
LRNN_BF16_PACKING void hw_pairs_along(const float* src, std::size_t depth, std::uint32_t* words) {
    for (std::size_t p = 0; p < depth; p += 32) {
        const std::size_t left = std::min<std::size_t>(32, depth - p);
        const __m512 lo = _mm512_maskz_loadu_ps(first_lanes(left), src + p);
        const __m512 hi = _mm512_maskz_loadu_ps(first_lanes(left > 16 ? left - 16 : 0), src + p + 16);
        _mm512_mask_storeu_epi32(words + p / 2, first_lanes((left + 1) / 2),
                                 (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
}

// dst[q * width + j] = src[q + j * step] for q, j < 8: an 8 x 8 transpose of 32-bit words.
LRNN_BF16_PACKING void transpose_words_8x8(const std::uint32_t* src, std::size_t step,
                                           std::uint32_t* dst, std::size_t width) {
    __m256 r[8], t[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i*)(src + j * step)));
    for (int j = 0; j < 8; j += 2) {
        t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
        t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
    }
    for (int j = 0; j < 8; j += 4) {
        r[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
        r[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xEE);
        r[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
        r[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
    }
    for (int q = 0; q < 4; ++q) {
        _mm256_storeu_si256((__m256i*)(dst + q * width), _mm256_castps_si256(_mm256_permute2f128_ps(r[q], r[q + 4], 0x20)));
        _mm256_storeu_si256((__m256i*)(dst + (q + 4) * width), _mm256_castps_si256(_mm256_permute2f128_ps(r[q], r[q + 4], 0x31)));
    }
}

// The layout of pack_bf16_pairs on the hardware path, where the source allows it.
// `scratch` holds 32 x round_up(ceil(depth / 2), 8) words.
void hw_pack_bf16_pairs(const float* src, std::size_t step_p, std::size_t step_j, std::size_t depth,
                        std::size_t valid, std::size_t width, std::uint32_t* words,
                        std::uint32_t* scratch) {
    const std::size_t pairs = (depth + 1) / 2;
    if (step_j == 1) {
        for (std::size_t q = 0; q < pairs; ++q) {
            const float* even = src + 2 * q * step_p;
            std::uint32_t* out = words + q * width;
            hw_interleave_rows(even, 2 * q + 1 < depth ? even + step_p : nullptr, valid, out);
            std::fill(out + valid, out + width, 0u);
        }
        return;
    }
    if (step_p != 1 || width > 32) return pack_bf16_pairs(src, step_p, step_j, depth, valid, width, words, scratch);
    // p contiguous: each column's run of pairs into a row of scratch, then 8 x 8 transposes.
    const std::size_t stride = round_up(pairs, 8);
    for (std::size_t j = 0; j < width; ++j) {
        if (j < valid) hw_pairs_along(src + j * step_j, depth, scratch + j * stride);
        else std::fill(scratch + j * stride, scratch + j * stride + pairs, 0u);
    }
    const std::size_t full = pairs / 8 * 8;
    for (std::size_t j = 0; j + 8 <= width; j += 8) {
        for (std::size_t q = 0; q < full; q += 8)
            transpose_words_8x8(scratch + j * stride + q, stride, words + q * width + j, width);
        for (std::size_t q = full; q < pairs; ++q)
            for (std::size_t jj = j; jj < j + 8; ++jj) words[q * width + jj] = scratch[jj * stride + q];
    }
}

// The emulated path's panel: the same bf16 values as floats, one row of `width` per k, the two
// halves of each pair swapped (k = 2q + 1 first), so that the fp32 micro-kernel, which adds its
// terms in order of the row, adds them in vdpbf16ps's order.
void unpack_swapped(const std::uint32_t* words, std::size_t pairs, std::size_t width, float* dst) {
    for (std::size_t q = 0; q < pairs; ++q)
        for (std::size_t j = 0; j < width; ++j) {
            const std::uint32_t word = words[q * width + j];
            dst[(2 * q) * width + j] = std::bit_cast<float>(word & 0xffff0000u);
            dst[(2 * q + 1) * width + j] = std::bit_cast<float>(word << 16);
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

// hardware: vdpbf16ps; otherwise the emulation on the fp32 tile `fp32`.
void blocked_bf16(bool hardware, const MicroKernel& fp32, std::size_t m, std::size_t n,
                  std::size_t k, MatrixOperand a, MatrixOperand b, float beta, float* c,
                  std::size_t ldc) {
    const std::size_t mr = hardware ? kBf16TileRows : fp32.mr;
    const std::size_t nr = hardware ? kBf16TileCols : fp32.nr;
    const std::size_t nc_max = round_up(std::min(n, NC), nr);
    const std::size_t mc_max = round_up(std::min(m, MC), mr);
    const std::size_t pairs_max = (std::min(k, KC) + 1) / 2;
    // Panels of 32-bit words, each a pair of bf16 along k (pack_bf16_pairs).
    AlignedBuffer<std::uint32_t> packed_b(pairs_max * nc_max), packed_a(pairs_max * mc_max);
    AlignedBuffer<std::uint32_t> scratch(32 * round_up(pairs_max, 8));
    // The hardware path reads a as packed rows (a_rows) when a's rows are contiguous in k:
    // converting a row is one run, no transposition.
    const bool a_rows = hardware && a.col_stride == 1;
    // Emulation only: the float panels of b's block and a's.
    AlignedBuffer<float> float_b(hardware ? 0 : pairs_max * 2 * nc_max);
    AlignedBuffer<float> float_a(hardware ? 0 : pairs_max * 2 * mc_max);
    AlignedBuffer<float> tile(mr * nr);
    for (std::size_t jc = 0; jc < n; jc += NC) {
        const std::size_t nc = std::min(NC, n - jc);
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kc = std::min(KC, k - pc), pairs = (kc + 1) / 2;
            const float block_beta = pc == 0 ? beta : 1.0f;
            for (std::size_t jr = 0; jr < nc; jr += nr)
                (hardware ? hw_pack_bf16_pairs : pack_bf16_pairs)(
                    b.data + pc * b.row_stride + (jc + jr) * b.col_stride, b.row_stride,
                    b.col_stride, kc, std::min(nr, nc - jr), nr, packed_b.data() + jr * pairs,
                    scratch.data());
            if (!hardware)
                for (std::size_t jr = 0; jr < nc; jr += nr)
                    unpack_swapped(packed_b.data() + jr * pairs, pairs, nr, float_b.data() + jr * pairs * 2);
            for (std::size_t ic = 0; ic < m; ic += MC) {
                const std::size_t mc = std::min(MC, m - ic);
                if (a_rows) {  // packed_a[i * pairs + q], rows past mc zero
                    for (std::size_t i = 0; i < round_up(mc, mr); ++i) {
                        std::uint32_t* row = packed_a.data() + i * pairs;
                        if (i < mc) hw_pairs_along(a.data + (ic + i) * a.row_stride + pc, kc, row);
                        else std::fill(row, row + pairs, 0u);
                    }
                } else {
                    for (std::size_t ir = 0; ir < mc; ir += mr) {
                        std::uint32_t* panel = packed_a.data() + ir * pairs;
                        (hardware ? hw_pack_bf16_pairs : pack_bf16_pairs)(
                            a.data + (ic + ir) * a.row_stride + pc * a.col_stride, a.col_stride,
                            a.row_stride, kc, std::min(mr, mc - ir), mr, panel, scratch.data());
                        if (!hardware) unpack_swapped(panel, pairs, mr, float_a.data() + ir * pairs * 2);
                    }
                }
                for (std::size_t jr = 0; jr < nc; jr += nr) {
                    const std::size_t cols = std::min(nr, nc - jr);
                    const std::uint32_t* pb = packed_b.data() + jr * pairs;
                    for (std::size_t ir = 0; ir < mc; ir += mr) {
                        const std::size_t rows = std::min(mr, mc - ir);
                        float* c_tile = c + (ic + ir) * ldc + jc + jr;
                        if (hardware) {
                            const std::uint32_t* pa = packed_a.data() + ir * pairs;
                            const std::size_t rs = a_rows ? pairs : 1, cs = a_rows ? 1 : mr;
                            if (rows == mr && cols == nr) {
                                avx512_bf16_8x32(pairs, pa, rs, cs, pb, c_tile, ldc, block_beta);
                                continue;
                            }
                            avx512_bf16_8x32(pairs, pa, rs, cs, pb, tile.data(), nr, 0.0f);
                        } else {
                            const FlushToZeroScope ftz;
                            fp32.run(2 * pairs, float_a.data() + ir * pairs * 2, 1, mr,
                                     float_b.data() + jr * pairs * 2, tile.data(), nr, 0.0f);
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
                        " (a bf16 run trains and resumes only on such a CPU; fp32 runs anywhere)");
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
    // The emulation runs the fp32 tile of the widest ISA here over the swapped float panels.
    const MicroKernel fp32 = cpu_features().avx512 ? avx512_micro_kernel() : avx2_micro_kernel();
    blocked_bf16(path == Bf16GemmPath::Avx512Bf16, fp32, m, n, k, a, b, beta, c, ldc);
}

void bf16_sgemm_emulated_on(const MicroKernel& tile, std::size_t m, std::size_t n, std::size_t k,
                            MatrixOperand a, MatrixOperand b, float beta, float* c,
                            std::size_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) return scale(m, n, beta, c, ldc);
    blocked_bf16(false, tile, m, n, k, a, b, beta, c, ldc);
}

}  // namespace lrnn
