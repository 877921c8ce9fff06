#include "core/gemm_kernels.hpp"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <utility>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/gemm_micro_kernels.hpp"
#include "core/text.hpp"

namespace lrnn {

namespace {

// Blocking (after BLIS): a kc x nc block of b is packed into column panels of nr, which the
// micro-kernel walks together with mr rows of a, read in place (a is only packed, zero-padded,
// where fewer than mr rows are left). kc x nr of b (32 KiB) stays in L1 while the mc x kc block
// of a streams from L2. The blocking depends on the shape only, so the order of every sum does too.
constexpr std::size_t KC = 256;
constexpr std::size_t MC = 144;  // a multiple of every kernel's mr (8 and 6)
constexpr std::size_t NC = 1024;

std::size_t round_up(std::size_t x, std::size_t step) { return (x + step - 1) / step * step; }

// A float buffer aligned to the cache line, so that the kernels' vector loads never split one.
class PackBuffer {
public:
    explicit PackBuffer(std::size_t floats)
        : storage_(std::make_unique_for_overwrite<float[]>(floats + 16)) {
        void* p = storage_.get();
        std::size_t space = (floats + 16) * sizeof(float);
        data_ = static_cast<float*>(std::align(64, floats * sizeof(float), p, space));
    }
    float* data() const { return data_; }

private:
    std::unique_ptr<float[]> storage_;
    float* data_;
};

// dst[p * width + j] = src[p + j * step_j] for p, j < 8: an 8 x 8 transpose in registers.
__attribute__((target("avx2"))) void transpose_8x8(const float* src, std::size_t step_j,
                                                    float* dst, std::size_t width) {
    __m256 r[8], t[8];
    for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(src + j * step_j);
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
        _mm256_storeu_ps(dst + q * width, _mm256_permute2f128_ps(r[q], r[q + 4], 0x20));
        _mm256_storeu_ps(dst + (q + 4) * width, _mm256_permute2f128_ps(r[q], r[q + 4], 0x31));
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
            std::copy(row, row + valid, out);
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

// A tile at the edge of c: the kernel fills a whole tile on the side, then the valid part is
// merged exactly as the kernel merges (beta * c + sum, or the sum alone for beta == 0).
void edge_tile(const MicroKernel& kernel, std::size_t kc, const float* a, std::size_t rs,
               std::size_t cs, const float* b, float* c, std::size_t ldc, float beta,
               std::size_t rows, std::size_t cols, float* tile) {
    kernel.run(kc, a, rs, cs, b, tile, kernel.nr, 0.0f);
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            float& out = c[i * ldc + j];
            const float sum = tile[i * kernel.nr + j];
            out = beta == 0.0f ? sum : beta == 1.0f ? out + sum : beta * out + sum;
        }
}

void blocked_sgemm(const MicroKernel& kernel, std::size_t m, std::size_t n, std::size_t k,
                   MatrixOperand a, MatrixOperand b, float beta, float* c, std::size_t ldc) {
    const std::size_t mr = kernel.mr, nr = kernel.nr;
    const std::size_t nc_max = round_up(std::min(n, NC), nr);
    const std::size_t kc_max = std::min(k, KC);
    PackBuffer packed_b(kc_max * nc_max), packed_a(mr * kc_max), tile(mr * nr);
    for (std::size_t jc = 0; jc < n; jc += NC) {
        const std::size_t nc = std::min(NC, n - jc);
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kc = std::min(KC, k - pc);
            // The first block of the sum applies beta; the later ones add to it.
            const float block_beta = pc == 0 ? beta : 1.0f;
            for (std::size_t jr = 0; jr < nc; jr += nr)
                pack_panel(b.data + pc * b.row_stride + (jc + jr) * b.col_stride, b.row_stride,
                           b.col_stride, kc, std::min(nr, nc - jr), nr, packed_b.data() + jr * kc);
            for (std::size_t ic = 0; ic < m; ic += MC) {
                const std::size_t mc = std::min(MC, m - ic);
                // Rows of a past the last full panel: packed, zero-padded to mr.
                const std::size_t full = mc / mr * mr;
                if (full < mc)
                    pack_panel(a.data + (ic + full) * a.row_stride + pc * a.col_stride,
                               a.col_stride, a.row_stride, kc, mc - full, mr, packed_a.data());
                for (std::size_t jr = 0; jr < nc; jr += nr) {
                    const std::size_t cols = std::min(nr, nc - jr);
                    const float* pb = packed_b.data() + jr * kc;
                    for (std::size_t ir = 0; ir < mc; ir += mr) {
                        const std::size_t rows = std::min(mr, mc - ir);
                        float* c_tile = c + (ic + ir) * ldc + jc + jr;
                        const bool in_place = rows == mr;
                        const float* pa =
                            in_place ? a.data + (ic + ir) * a.row_stride + pc * a.col_stride
                                     : packed_a.data();
                        const std::size_t rs = in_place ? a.row_stride : 1;
                        const std::size_t cs = in_place ? a.col_stride : mr;
                        if (rows == mr && cols == nr)
                            kernel.run(kc, pa, rs, cs, pb, c_tile, ldc, block_beta);
                        else
                            edge_tile(kernel, kc, pa, rs, cs, pb, c_tile, ldc, block_beta, rows,
                                      cols, tile.data());
                    }
                }
            }
        }
    }
}

// c = beta * c when there is nothing to add (k == 0).
void scale(std::size_t m, std::size_t n, float beta, float* c, std::size_t ldc) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

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
    if (k == 0) return scale(m, n, beta, c, ldc);
    blocked_sgemm(path == GemmPath::Avx512 ? avx512_micro_kernel() : avx2_micro_kernel(), m, n, k,
                  a, b, beta, c, ldc);
}

}  // namespace lrnn
