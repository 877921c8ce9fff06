#include "core/gemm_bf16.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/bf16.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/gemm_micro_kernels.hpp"
#include "core/text.hpp"
#include "core/transpose_8x8.hpp"
#include "core/vector_clones.hpp"

namespace lrnn {

namespace {

using gemm_blocking::AlignedBuffer;
using gemm_blocking::KC;
using gemm_blocking::MC;
using gemm_blocking::NC;
using gemm_blocking::round_up;
using gemm_blocking::ScratchBuffer;

// words[j] = bf16(even[j]) | bf16(odd[j]) << 16 for j < n: a pair from two rows of the source.
LRNN_VECTOR_CLONES void interleave_rows(const float* even, const float* odd, std::size_t n,
                                        std::uint32_t* words) {
    for (std::size_t j = 0; j < n; ++j) words[j] = bf16_bits_flushed(even[j]) | (bf16_bits_flushed(odd[j]) << 16);
}
LRNN_VECTOR_CLONES void interleave_last_row(const float* even, std::size_t n, std::uint32_t* words) {
    for (std::size_t j = 0; j < n; ++j) words[j] = bf16_bits_flushed(even[j]);
}

// words[q] = bf16(src[2q]) | bf16(src[2q + 1]) << 16 for q < depth / 2, and the last, half
// pair, if depth is odd: pairs from one contiguous run of the source.
LRNN_VECTOR_CLONES void pairs_along(const float* src, std::size_t depth, std::uint32_t* words) {
    const std::size_t full = depth / 2;
    for (std::size_t q = 0; q < full; ++q)
        words[q] = bf16_bits_flushed(src[2 * q]) | (bf16_bits_flushed(src[2 * q + 1]) << 16);
    if (depth % 2) words[full] = bf16_bits_flushed(src[depth - 1]);
}

// words[q * width + j] = bf16(src[2q * step_p + j * step_j]) | bf16(src[(2q + 1) * step_p + ...]) << 16
// for j < valid (the high half zero past depth), zero for valid <= j < width, q < ceil(depth / 2):
// a panel of bf16 pairs along p, one 32-bit word per (q, j), low half k = 2q. Both paths pack
// with this, so both see the same bf16 values. `scratch` holds ceil(depth / 2) words.
void pack_bf16_pairs(const float* src, std::size_t step_p, std::size_t step_j, std::size_t depth,
                     std::size_t valid, std::size_t width, std::uint32_t* words,
                     std::uint32_t* scratch) {
    const std::size_t pairs = (depth + 1) / 2;
    assert(step_j != 1);  // j contiguous (b as stored, a transposed): pack_pair_rows
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
                    bf16_bits_flushed(*e) | (2 * q + 1 < depth ? bf16_bits_flushed(e[step_p]) << 16 : 0u);
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

// The layout of pack_bf16_pairs on the hardware path, where the source allows it.
// `scratch` holds 32 x round_up(ceil(depth / 2), 8) words.
void hw_pack_bf16_pairs(const float* src, std::size_t step_p, std::size_t step_j, std::size_t depth,
                        std::size_t valid, std::size_t width, std::uint32_t* words,
                        std::uint32_t* scratch) {
    const std::size_t pairs = (depth + 1) / 2;
    assert(step_j != 1);  // as pack_bf16_pairs
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
            transpose_8x8(scratch + j * stride + q, stride, words + q * width + j, width);
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

// Panels of `width` columns, as pack_bf16_pairs lays each out (`words + j0 * pairs` for the
// panel of columns j0..), of a source whose columns are contiguous (b as stored, a transposed):
// src[2q * step_p + j] and the row after it for j < count. Written a row pair at a time across
// all the panels, so that the source is read along its rows: a panel at a time would stride
// down them, one or two cache lines a row, a miss that the prefetchers do not see coming once
// the rows are a page apart. `row` holds `count` words.
// pack_pair_rows asks for the row kPrefetchRows ahead: the sources (the weights above all) come
// from memory, and the hardware prefetchers fall behind on rows a page or more apart (bf16
// medium chunk on this machine: 31.1 -> 28.2 ms median; 4 rows ahead measured best of 4, 8, 16).
constexpr std::size_t kPrefetchRows = 4;
void pack_pair_rows(bool hardware, const float* src, std::size_t step_p, std::size_t depth,
                    std::size_t count, std::size_t width, std::uint32_t* words,
                    std::uint32_t* row) {
    const std::size_t pairs = (depth + 1) / 2;
    for (std::size_t q = 0; q < pairs; ++q) {
        const float* even = src + 2 * q * step_p;
        const float* odd = 2 * q + 1 < depth ? even + step_p : nullptr;
        if (2 * q + kPrefetchRows + 1 < depth)
            for (std::size_t j = 0; j < count; j += 16) {
                _mm_prefetch(reinterpret_cast<const char*>(even + kPrefetchRows * step_p + j), _MM_HINT_T0);
                _mm_prefetch(reinterpret_cast<const char*>(even + (kPrefetchRows + 1) * step_p + j), _MM_HINT_T0);
            }
        if (hardware) hw_interleave_rows(even, odd, count, row);
        else if (odd != nullptr) interleave_rows(even, odd, count, row);
        else interleave_last_row(even, count, row);
        for (std::size_t j0 = 0; j0 < count; j0 += width) {
            const std::size_t valid = std::min(width, count - j0);
            std::uint32_t* out = words + j0 * pairs + q * width;
            std::copy_n(row + j0, valid, out);
            std::fill(out + valid, out + width, 0u);
        }
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

// The fp32 tile the emulation runs on: the widest this CPU has.
MicroKernel emulation_tile() {
    return cpu_features().avx512 ? avx512_micro_kernel() : avx2_micro_kernel();
}

// b's block (rows pc..pc + kc, columns jc..jc + nc) as panels of nr columns: pairs of bf16
// (`words`, ceil(kc / 2) x nr per panel), and for the emulation (hardware false) the same
// values as swapped floats (`floats`, 2 ceil(kc / 2) x nr per panel). `scratch` as
// hw_pack_bf16_pairs wants it.
void pack_b_block(bool hardware, std::size_t nr, MatrixOperand b, std::size_t jc, std::size_t nc,
                  std::size_t pc, std::size_t kc, std::uint32_t* words, float* floats,
                  std::uint32_t* scratch) {
    const std::size_t pairs = (kc + 1) / 2;
    if (b.col_stride == 1) {
        const gemm_blocking::ScratchBuffer<std::uint32_t> row(nc);
        pack_pair_rows(hardware, b.data + pc * b.row_stride + jc, b.row_stride, kc, nc, nr, words,
                       row.data());
    } else {
        for (std::size_t jr = 0; jr < nc; jr += nr)
            (hardware ? hw_pack_bf16_pairs : pack_bf16_pairs)(
                b.data + pc * b.row_stride + (jc + jr) * b.col_stride, b.row_stride, b.col_stride,
                kc, std::min(nr, nc - jr), nr, words + jr * pairs, scratch);
    }
    if (!hardware)
        for (std::size_t jr = 0; jr < nc; jr += nr)
            unpack_swapped(words + jr * pairs, pairs, nr, floats + jr * pairs * 2);
}

// The bf16 product's policy for gemm_blocking::blocked_product, per path:
// - avx512_bf16: vdpbf16ps over the word panels;
// - amx: TDPBF16PS over the same panels of b and a packed as rows of words (the tiles' layout),
//   in an AmxTileScope for the product's lifetime;
// - emulated: the fp32 tile `fp32` over the swapped float panels under flush-to-zero, every
//   tile merged outside it (through the edge scratch).
// b's blocks are packed here from the operand, or read from a Bf16PackedMatrix. A tile of one
// real row (a step of generation) runs the one-row kernel: row 0's bits, an eighth of the work
// (amx: tiles of one row).
class Bf16Tiles {
public:
    Bf16Tiles(Bf16GemmPath path, const MicroKernel& fp32, std::size_t m, std::size_t n,
              std::size_t k, MatrixOperand a, MatrixOperand b, const Bf16PackedMatrix* prepacked)
        : mr(path == Bf16GemmPath::Amx ? kAmxTileRows
             : path == Bf16GemmPath::Avx512Bf16 ? kBf16TileRows : fp32.mr),
          nr(path == Bf16GemmPath::Emulated ? fp32.nr : kBf16TileCols),
          hardware_(path != Bf16GemmPath::Emulated), amx_(path == Bf16GemmPath::Amx), fp32_(fp32),
          a_(a), b_(b), prepacked_(prepacked),
          // The hardware paths read a as packed rows when a's rows are contiguous in k:
          // converting a row is one run, no transposition.
          a_rows_(hardware_ && a.col_stride == 1),
          pairs_max_((std::min(k, KC) + 1) / 2),
          packed_b_(prepacked ? 0 : pairs_max_ * round_up(std::min(n, NC), nr)),
          float_b_(prepacked || hardware_ ? 0 : 2 * pairs_max_ * round_up(std::min(n, NC), nr)),
          packed_a_(pairs_max_ * round_up(std::min(m, MC), mr)),
          float_a_(hardware_ ? 0 : 2 * pairs_max_ * round_up(std::min(m, MC), mr)),
          // amx with a's columns contiguous: a is packed as the 8-row panels of avx512_bf16
          // first, then transposed into rows.
          panel_a_(amx_ && !a_rows_ ? pairs_max_ * round_up(std::min(m, MC), kBf16TileRows) : 0),
          // Only the packers of b and of a's columns use it (not a prepacked b with a's rows):
          // hw_pack_bf16_pairs 32 runs of pairs, pack_bf16_pairs one.
          scratch_(prepacked && a_rows_ ? 0 : (hardware_ ? 32 : 1) * round_up(pairs_max_, 8)) {
        if (amx_) amx_scope_.emplace(std::min<std::size_t>(m, 16));
    }

    const std::size_t mr, nr;
    bool runs_into_c() const { return hardware_; }

    void pack_b(std::size_t jc, std::size_t nc, std::size_t pc, std::size_t kc) {
        pairs_ = (kc + 1) / 2;
        if (prepacked_ != nullptr) {
            if (hardware_) b_words_ = prepacked_->words(jc, pc);
            else b_floats_ = prepacked_->floats(jc, pc);
            return;
        }
        pack_b_block(hardware_, nr, b_, jc, nc, pc, kc, packed_b_.data(), float_b_.data(),
                     scratch_.data());
        b_words_ = packed_b_.data(), b_floats_ = float_b_.data();
    }

    void pack_a(std::size_t ic, std::size_t mc, std::size_t pc, std::size_t kc) {
        if (a_rows_) {  // packed_a[i * pairs + q], rows past mc zero
            for (std::size_t i = 0; i < round_up(mc, mr); ++i) {
                std::uint32_t* row = packed_a_.data() + i * pairs_;
                if (i < mc) hw_pairs_along(a_.data + (ic + i) * a_.row_stride + pc, kc, row);
                else std::fill(row, row + pairs_, 0u);
            }
            return;
        }
        // Panels of panel_rows rows (panels[ir * pairs + q * panel_rows + i]).
        const std::size_t panel_rows = amx_ ? kBf16TileRows : mr;
        std::uint32_t* panels = amx_ ? panel_a_.data() : packed_a_.data();
        if (a_.row_stride == 1) {  // a transposed (x^T): its rows of k are the source's rows
            const gemm_blocking::ScratchBuffer<std::uint32_t> row(mc);
            pack_pair_rows(hardware_, a_.data + ic + pc * a_.col_stride, a_.col_stride, kc, mc,
                           panel_rows, panels, row.data());
        }
        for (std::size_t ir = 0; ir < mc; ir += panel_rows) {
            std::uint32_t* panel = panels + ir * pairs_;
            if (a_.row_stride != 1)
                (hardware_ ? hw_pack_bf16_pairs : pack_bf16_pairs)(
                    a_.data + (ic + ir) * a_.row_stride + pc * a_.col_stride, a_.col_stride,
                    a_.row_stride, kc, std::min(panel_rows, mc - ir), panel_rows, panel,
                    scratch_.data());
            if (!hardware_) unpack_swapped(panel, pairs_, mr, float_a_.data() + ir * pairs_ * 2);
        }
        if (amx_) panels_to_rows(mc);
    }

    void run(std::size_t ir, std::size_t rows, std::size_t jr, float* c, std::size_t ldc,
             float beta) const {
        if (amx_) {
            amx_bf16_32x32(pairs_, packed_a_.data() + ir * pairs_, pairs_, b_words_ + jr * pairs_,
                           c, ldc, beta, rows);
            return;
        }
        if (hardware_) {
            const std::uint32_t* pa = packed_a_.data() + ir * pairs_;
            const std::uint32_t* pb = b_words_ + jr * pairs_;
            const std::size_t rs = a_rows_ ? pairs_ : 1, cs = a_rows_ ? 1 : mr;
            if (rows == 1) avx512_bf16_1x32(pairs_, pa, cs, pb, c, beta);
            else avx512_bf16_8x32(pairs_, pa, rs, cs, pb, c, ldc, beta);
            return;
        }
        const FlushToZeroScope ftz;
        const float* fa = float_a_.data() + ir * pairs_ * 2;
        const float* fb = b_floats_ + jr * pairs_ * 2;
        if (rows == 1) fp32_.run_row(2 * pairs_, fa, mr, fb, c, beta);
        else fp32_.run(2 * pairs_, fa, 1, mr, fb, c, ldc, beta);
    }

private:
    // packed_a[i * pairs + q] = panel_a's word (q, i), for the rows of a's block (mc), and zero
    // rows after them up to a whole tile.
    void panels_to_rows(std::size_t mc) {
        const std::uint32_t* panels = panel_a_.data();
        std::uint32_t* rows = packed_a_.data();
        const std::size_t pairs = pairs_, eights = pairs / 8 * 8, panel_rows = kBf16TileRows;
        for (std::size_t ir = 0; ir < round_up(mc, panel_rows); ir += panel_rows) {
            const std::uint32_t* panel = panels + ir * pairs;
            for (std::size_t q = 0; q < eights; q += 8)
                transpose_8x8(panel + q * panel_rows, panel_rows, rows + ir * pairs + q, pairs);
            for (std::size_t q = eights; q < pairs; ++q)
                for (std::size_t i = 0; i < panel_rows; ++i)
                    rows[(ir + i) * pairs + q] = panel[q * panel_rows + i];
        }
        std::fill(rows + round_up(mc, panel_rows) * pairs, rows + round_up(mc, mr) * pairs, 0u);
    }

    bool hardware_, amx_;
    MicroKernel fp32_;
    MatrixOperand a_, b_;
    const Bf16PackedMatrix* prepacked_;
    bool a_rows_;
    std::size_t pairs_max_;
    // Panels of 32-bit words, each a pair of bf16 along k (pack_bf16_pairs); the emulation's
    // float panels of them (unpack_swapped).
    ScratchBuffer<std::uint32_t> packed_b_;
    ScratchBuffer<float> float_b_;
    ScratchBuffer<std::uint32_t> packed_a_;
    ScratchBuffer<float> float_a_;
    ScratchBuffer<std::uint32_t> panel_a_;  // amx, a's columns contiguous
    ScratchBuffer<std::uint32_t> scratch_;
    std::optional<AmxTileScope> amx_scope_;
    std::size_t pairs_ = 0;                 // of the current kc-block
    const std::uint32_t* b_words_ = nullptr;  // the current block of b
    const float* b_floats_ = nullptr;
};

void check_available(Bf16GemmPath path, const char* what) {
    if (!bf16_gemm_path_available(path))
        throw std::invalid_argument(std::string(what) + ": this CPU cannot run the " +
                                    bf16_gemm_path_name(path) + " kernel");
}

// The faster of avx512_bf16 and emulated on this core, which compute the same bits: each
// times a 64 x 256 x 256 product, best of 5, alternating (a few milliseconds in all).
Bf16GemmPath faster_bf16_gemm_path() {
    if (!bf16_gemm_path_available(Bf16GemmPath::Emulated)) return Bf16GemmPath::Avx512Bf16;
    constexpr std::size_t m = 64, k = 256, n = 256;
    std::vector<float> a(m * k), b(k * n), c(m * n);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = float(i % 13) * 0.125f - 0.75f;
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(i % 7) * 0.25f - 0.75f;
    const auto seconds = [&](Bf16GemmPath path) {
        const auto start = std::chrono::steady_clock::now();
        bf16_sgemm(path, m, n, k, MatrixOperand{a.data(), k, 1}, MatrixOperand{b.data(), n, 1},
                   0.0f, c.data(), n);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    double hardware = 1e30, emulated = 1e30;
    for (int round = 0; round < 6; ++round) {  // round 0 warms both up
        const double h = seconds(Bf16GemmPath::Avx512Bf16), e = seconds(Bf16GemmPath::Emulated);
        if (round > 0) hardware = std::min(hardware, h), emulated = std::min(emulated, e);
    }
    return hardware <= emulated ? Bf16GemmPath::Avx512Bf16 : Bf16GemmPath::Emulated;
}

// LRNN_GEMM_BF16=emulated|avx512_bf16 forces a path (to compare them, or to check that a run
// resumes with the same bits on a CPU without AVX512_BF16).
Bf16GemmPath choose_bf16_gemm_path() {
    const char* forced = std::getenv("LRNN_GEMM_BF16");
    if (forced == nullptr || *forced == '\0') {
        if (bf16_gemm_path_available(Bf16GemmPath::Avx512Bf16)) return faster_bf16_gemm_path();
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
    switch (path) {
    case Bf16GemmPath::Emulated: return "emulated";
    case Bf16GemmPath::Avx512Bf16: return "avx512_bf16";
    case Bf16GemmPath::Amx: return "amx";
    }
    return "?";
}

bool bf16_gemm_path_available(Bf16GemmPath path) {
    switch (path) {
    case Bf16GemmPath::Emulated: return cpu_features().avx2_fma;
    case Bf16GemmPath::Avx512Bf16: return cpu_features().avx512_bf16;
    case Bf16GemmPath::Amx: return cpu_features().amx_bf16;
    }
    return false;
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

Bf16GemmPath amx_bf16_gemm_path() {
    if (!bf16_gemm_path_available(Bf16GemmPath::Amx))
        throw UserError("precision bf16_amx needs a CPU with AMX-BF16 (Intel Xeon 4th generation "
                        "or later) whose OS allows the tiles; this CPU has " +
                        describe(cpu_features()) +
                        ". Its sums are AMX's own, which no other CPU computes, so a bf16_amx run "
                        "trains, resumes and evaluates bit for bit only there; use bf16 (the same "
                        "bits on every CPU with AVX512_BF16 or AVX2) or fp32 elsewhere");
    return Bf16GemmPath::Amx;
}

Bf16GemmPath bf16_gemm_path_for(Precision precision) {
    if (precision == Precision::Bf16Amx) return amx_bf16_gemm_path();
    if (precision == Precision::Bf16) return best_bf16_gemm_path();
    throw std::invalid_argument("bf16_gemm_path_for: fp32 products have no bf16 path");
}

void bf16_sgemm(Bf16GemmPath path, std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
                MatrixOperand b, float beta, float* c, std::size_t ldc) {
    if (m == 0 || n == 0) return;
    check_available(path, "bf16_sgemm");
    if (k == 0) return gemm_blocking::scale(m, n, beta, c, ldc);
    Bf16Tiles tiles(path, emulation_tile(), m, n, k, a, b, nullptr);
    gemm_blocking::blocked_product(tiles, m, n, k, beta, c, ldc);
}

void bf16_sgemm_emulated_on(const MicroKernel& tile, std::size_t m, std::size_t n, std::size_t k,
                            MatrixOperand a, MatrixOperand b, float beta, float* c,
                            std::size_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0) return gemm_blocking::scale(m, n, beta, c, ldc);
    Bf16Tiles tiles(Bf16GemmPath::Emulated, tile, m, n, k, a, b, nullptr);
    gemm_blocking::blocked_product(tiles, m, n, k, beta, c, ldc);
}

namespace {

// Where each block (jc, pc) of a packed b starts, in words (hardware) or floats (emulation):
// blocks one after the other in the blocked loop's order, each as pack_b_block lays it out.
std::vector<std::size_t> block_starts(bool hardware, std::size_t nr, std::size_t k,
                                      std::size_t n) {
    std::vector<std::size_t> starts;
    std::size_t at = 0;
    for (std::size_t jc = 0; jc < n; jc += NC)
        for (std::size_t pc = 0; pc < k; pc += KC) {
            starts.push_back(at);
            const std::size_t pairs = (std::min(KC, k - pc) + 1) / 2;
            at += (hardware ? 1 : 2) * pairs * round_up(std::min(NC, n - jc), nr);
        }
    starts.push_back(at);  // the total
    return starts;
}

Bf16GemmPath checked(Bf16GemmPath path) {
    check_available(path, "Bf16PackedMatrix");
    return path;
}

}  // namespace

Bf16PackedMatrix::Bf16PackedMatrix(Bf16GemmPath path, std::size_t k, std::size_t n,
                                   MatrixOperand b)
    : path_(checked(path)), k_(k), n_(n), fp32_(emulation_tile()), k_blocks_((k + KC - 1) / KC),
      block_start_(block_starts(path != Bf16GemmPath::Emulated,
                                path != Bf16GemmPath::Emulated ? kBf16TileCols : fp32_.nr, k, n)),
      words_(path != Bf16GemmPath::Emulated ? block_start_.back() : 0),
      floats_(path != Bf16GemmPath::Emulated ? 0 : block_start_.back()) {
    repack(b);
}

void Bf16PackedMatrix::repack(MatrixOperand b) {
    const std::size_t k = k_, n = n_;
    const bool hardware = path_ != Bf16GemmPath::Emulated;  // amx reads avx512_bf16's panels
    const std::size_t nr = hardware ? kBf16TileCols : fp32_.nr;
    const std::size_t pairs_max = (std::min(k, KC) + 1) / 2;
    // The emulation packs each block's words here first, then its floats in place.
    AlignedBuffer<std::uint32_t> block_words(hardware ? 0 : pairs_max * round_up(std::min(n, NC), nr));
    AlignedBuffer<std::uint32_t> scratch(32 * round_up(pairs_max, 8));
    for (std::size_t jc = 0; jc < n; jc += NC)
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t at = start(jc, pc);
            pack_b_block(hardware, nr, b, jc, std::min(NC, n - jc), pc, std::min(KC, k - pc),
                         hardware ? words_.data() + at : block_words.data(),
                         hardware ? nullptr : floats_.data() + at, scratch.data());
        }
}

void bf16_sgemm_packed(std::size_t m, MatrixOperand a, const Bf16PackedMatrix& b, float beta,
                       float* c, std::size_t ldc) {
    const std::size_t n = b.cols(), k = b.rows();
    if (m == 0 || n == 0) return;
    if (k == 0) return gemm_blocking::scale(m, n, beta, c, ldc);
    Bf16Tiles tiles(b.path(), b.fp32_tile(), m, n, k, a,
                    MatrixOperand{nullptr, 0, 0}, &b);
    gemm_blocking::blocked_product(tiles, m, n, k, beta, c, ldc);
}

}  // namespace lrnn
