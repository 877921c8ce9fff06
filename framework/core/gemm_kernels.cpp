#include "core/gemm_kernels.hpp"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/gemm_blocking.hpp"
#include "core/gemm_micro_kernels.hpp"
#include "core/text.hpp"
#include "core/transpose_8x8.hpp"

namespace lrnn {

namespace {

using gemm_blocking::AlignedBuffer;
using gemm_blocking::round_up;

// dst[0, count) = src[0, count): the rows of a panel, 6 to 32 floats, too short for a call to
// memmove to pay; a width the tiles use is copied by moves of a size known here.
inline void copy_floats(const float* src, std::size_t count, float* dst) {
    switch (count) {
        case 8: std::memcpy(dst, src, 8 * sizeof(float)); return;
        case 16: std::memcpy(dst, src, 16 * sizeof(float)); return;
        case 32: std::memcpy(dst, src, 32 * sizeof(float)); return;
        default: std::copy_n(src, count, dst);
    }
}

// dst[p * width + j] = src[p * step_p + j * step_j] for p < depth, j < valid; zero for
// valid <= j < width. The inner loop runs along whichever index is contiguous in memory; a
// transposed source goes through 8 x 8 transposes (all our kernels' CPUs have AVX2).
void pack_panel(const float* src, std::size_t step_p, std::size_t step_j, std::size_t depth,
                std::size_t valid, std::size_t width, float* dst) {
    if (step_j == 1) {
        for (std::size_t p = 0; p < depth; ++p) {
            const float* row = src + p * step_p;
            float* out = dst + p * width;
            copy_floats(row, valid, out);
            std::fill(out + valid, out + width, 0.0f);
        }
        return;
    }
    std::size_t j = 0;
    if (step_p == 1)
        for (; j + 8 <= valid; j += 8) {
            std::size_t p = 0;
            for (; p + 8 <= depth; p += 8)
                transpose_8x8(src + p + j * step_j, step_j, dst + p * width + j, width);
            for (; p < depth; ++p)
                for (std::size_t q = j; q < j + 8; ++q) dst[p * width + q] = src[p + q * step_j];
        }
    for (; j < valid; ++j) {
        const float* column = src + j * step_j;
        for (std::size_t p = 0; p < depth; ++p) dst[p * width + j] = column[p * step_p];
    }
    if (valid < width)
        for (std::size_t p = 0; p < depth; ++p)
            std::fill(dst + p * width + valid, dst + (p + 1) * width, 0.0f);
}

// The float product's policy for gemm_blocking::blocked_product: b's block packed into panels
// of nr. a as stored (column stride 1) is read in place, mr rows at a time, except the rows past
// a block's last full panel, which are packed, zero-padded to mr. A transposed a (x^T of a
// weight gradient) is packed whole, block by block, into panels of mr rows: in place, each step
// of the tile would read a few floats from a new row of x, rows whose stride (a power of two in
// the model's shapes) puts them all in a few sets of L1, where they evict each other and b.
class FloatTiles {
public:
    FloatTiles(const MicroKernel& kernel, std::size_t m, std::size_t n, std::size_t k,
               MatrixOperand a, MatrixOperand b)
        : mr(kernel.mr), nr(kernel.nr), kernel_(kernel), a_(a), b_(b),
          packed_b_(std::min(k, gemm_blocking::KC) * round_up(std::min(n, gemm_blocking::NC), nr)),
          pack_whole_a_(a.col_stride != 1),
          packed_a_(round_up(pack_whole_a_ ? std::min(m, gemm_blocking::MC) : 1, mr) *
                    std::min(k, gemm_blocking::KC)) {}

    const std::size_t mr, nr;
    bool runs_into_c() const { return true; }

    void pack_b(std::size_t jc, std::size_t nc, std::size_t pc, std::size_t kc) {
        if (b_.col_stride == 1) {
            // b as stored: a row at a time across all the panels, so that b is read along its
            // rows (a panel at a time would stride down them, a cache miss every row once they
            // are a page apart).
            for (std::size_t p = 0; p < kc; ++p) {
                const float* row = b_.data + (pc + p) * b_.row_stride + jc;
                for (std::size_t jr = 0; jr < nc; jr += nr) {
                    const std::size_t valid = std::min(nr, nc - jr);
                    float* out = packed_b_.data() + jr * kc + p * nr;
                    copy_floats(row + jr, valid, out);
                    std::fill(out + valid, out + nr, 0.0f);
                }
            }
            return;
        }
        for (std::size_t jr = 0; jr < nc; jr += nr)
            pack_panel(b_.data + pc * b_.row_stride + (jc + jr) * b_.col_stride, b_.row_stride,
                       b_.col_stride, kc, std::min(nr, nc - jr), nr, packed_b_.data() + jr * kc);
    }

    void pack_a(std::size_t ic, std::size_t mc, std::size_t pc, std::size_t kc) {
        ic_ = ic, pc_ = pc, kc_ = kc;
        if (pack_whole_a_) {
            // Panel r holds rows r * mr.. of the block: packed[r * mr * kc + p * mr + i].
            for (std::size_t ir = 0; ir < mc; ir += mr)
                pack_panel(a_.data + (ic + ir) * a_.row_stride + pc * a_.col_stride,
                           a_.col_stride, a_.row_stride, kc, std::min(mr, mc - ir), mr,
                           packed_a_.data() + ir * kc);
            return;
        }
        const std::size_t full = mc / mr * mr;
        if (full < mc)
            pack_panel(a_.data + (ic + full) * a_.row_stride + pc * a_.col_stride, a_.col_stride,
                       a_.row_stride, kc, mc - full, mr, packed_a_.data());
    }

    void run(std::size_t ir, std::size_t rows, std::size_t jr, float* c, std::size_t ldc,
             float beta) const {
        if (pack_whole_a_)
            return kernel_.run(kc_, packed_a_.data() + ir * kc_, 1, mr,
                               packed_b_.data() + jr * kc_, c, ldc, beta);
        const bool in_place = rows == mr;
        const float* pa = in_place ? a_.data + (ic_ + ir) * a_.row_stride + pc_ * a_.col_stride
                                   : packed_a_.data();
        kernel_.run(kc_, pa, in_place ? a_.row_stride : 1, in_place ? a_.col_stride : mr,
                    packed_b_.data() + jr * kc_, c, ldc, beta);
    }

private:
    MicroKernel kernel_;
    MatrixOperand a_, b_;
    AlignedBuffer<float> packed_b_;
    bool pack_whole_a_;
    gemm_blocking::ScratchBuffer<float> packed_a_;  // all of a's block, or its last rows
    std::size_t ic_ = 0, pc_ = 0, kc_ = 0;  // a's current block
};

void openblas_sgemm(std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
                    MatrixOperand b, float beta, float* c, std::size_t ldc) {
    blas_use_single_thread();
    // Row-major CBLAS: an operand is either as stored (column stride 1) or transposed (row
    // stride 1); its leading dimension is the other stride, at least its stored row length.
    const auto layout = [](const MatrixOperand& x, std::size_t rows, std::size_t cols) {
        if (x.col_stride == 1) return std::pair{CblasNoTrans, int(std::max(x.row_stride, cols))};
        assert(x.row_stride == 1);
        return std::pair{CblasTrans, int(std::max(x.col_stride, rows))};
    };
    const auto [ta, lda] = layout(a, m, k);
    const auto [tb, ldb] = layout(b, k, n);
    cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), 1.0f, a.data, lda, b.data, ldb,
                beta, c, int(ldc));
}

}  // namespace

std::string gemm_path_name(GemmPath path) {
    switch (path) {
        case GemmPath::Openblas: return "openblas";
        case GemmPath::Avx2: return "avx2";
        case GemmPath::Avx512: return "avx512";
    }
    return "?";
}

bool gemm_path_available(GemmPath path) {
    switch (path) {
        case GemmPath::Openblas: return true;
        case GemmPath::Avx2: return cpu_features().avx2_fma;
        case GemmPath::Avx512: return cpu_features().avx512;
    }
    return false;
}

std::vector<GemmPath> available_gemm_paths() {
    std::vector<GemmPath> paths;
    for (const GemmPath path : {GemmPath::Openblas, GemmPath::Avx2, GemmPath::Avx512})
        if (gemm_path_available(path)) paths.push_back(path);
    return paths;
}

namespace {

// LRNN_GEMM=openblas|avx2|avx512 overrides the choice (to compare paths, or to step around a
// kernel); a path this CPU cannot run is an error rather than a silent fallback.
GemmPath choose_gemm_path() {
    const char* forced = std::getenv("LRNN_GEMM");
    if (forced == nullptr || *forced == '\0')
        return cpu_features().avx512     ? GemmPath::Avx512
               : cpu_features().avx2_fma ? GemmPath::Avx2
                                         : GemmPath::Openblas;
    for (const GemmPath path : {GemmPath::Openblas, GemmPath::Avx2, GemmPath::Avx512}) {
        if (gemm_path_name(path) != forced) continue;
        if (!gemm_path_available(path))
            throw UserError("LRNN_GEMM=" + std::string(forced) + ": this CPU (" +
                            describe(cpu_features()) + ") cannot run that kernel");
        return path;
    }
    throw UserError("LRNN_GEMM must be openblas, avx2 or avx512 (got '" + printable(forced) + "')");
}

}  // namespace

GemmPath best_gemm_path() {
    static const GemmPath path = choose_gemm_path();
    return path;
}

void sgemm(GemmPath path, std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
           MatrixOperand b, float beta, float* c, std::size_t ldc) {
    if (m == 0 || n == 0) return;
    if (!gemm_path_available(path))
        throw std::invalid_argument("sgemm: this CPU cannot run the " + gemm_path_name(path) +
                                    " kernel");
    if (path == GemmPath::Openblas) return openblas_sgemm(m, n, k, a, b, beta, c, ldc);
    if (k == 0) return gemm_blocking::scale(m, n, beta, c, ldc);
    FloatTiles tiles(path == GemmPath::Avx512 ? avx512_micro_kernel() : avx2_micro_kernel(), m, n,
                     k, a, b);
    gemm_blocking::blocked_product(tiles, m, n, k, beta, c, ldc);
}

}  // namespace lrnn
