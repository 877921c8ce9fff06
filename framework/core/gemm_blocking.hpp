#pragma once
// The blocking that the float product (core/gemm_kernels.cpp) and the bf16 product
// (core/gemm_bf16.cpp) share: the jc / pc / ic / jr / ir loops (after BLIS), the tiles at the
// edge of c and their merge. What differs, how a block of a or b is packed and which register
// tile sums it, is a policy (blocked_product below). Both products block with the same numbers
// whatever their tile, so the kc-blocks of every sum, and the bits, depend on the shape only.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>

namespace lrnn::gemm_blocking {

// A kc x nc block of b is packed into column panels of nr, which the tile walks together with
// mr rows of a; kc x nr of b (32 KiB of floats) stays in L1 while the mc x kc block of a
// streams from L2. KC is even, so in a bf16 product only the last block of k can end in half
// a pair.
inline constexpr std::size_t KC = 256;
inline constexpr std::size_t MC = 144;  // a multiple of every tile's mr (8 and 6)
inline constexpr std::size_t NC = 1024;
static_assert(KC % 2 == 0);

inline std::size_t round_up(std::size_t x, std::size_t step) { return (x + step - 1) / step * step; }

// A buffer of `count` T aligned to the cache line (so that the kernels' vector loads never
// split one), uninitialised.
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

// A product's own scratch of `count` T, aligned to the cache line, uninitialised: inside the
// object (on the caller's stack) when it takes at most kInlineBytes, on the heap otherwise. The
// buffers of a one-row product (a generation step) all fit inside, so a step allocates
// nothing. Not movable: the data may be the object itself.
template <typename T>
class ScratchBuffer {
public:
    static constexpr std::size_t kInlineBytes = 8192;

    explicit ScratchBuffer(std::size_t count) {
        if (count * sizeof(T) <= kInlineBytes) {
            data_ = std::launder(reinterpret_cast<T*>(inline_));
        } else {
            heap_.emplace(count);
            data_ = heap_->data();
        }
    }
    ScratchBuffer(const ScratchBuffer&) = delete;
    ScratchBuffer& operator=(const ScratchBuffer&) = delete;
    T* data() const { return data_; }

private:
    alignas(64) std::byte inline_[kInlineBytes];
    std::optional<AlignedBuffer<T>> heap_;
    T* data_;
};

// c (rows x cols of a tile) = beta * c + tile, as the register tiles merge: the sum alone for
// beta == 0 (c not read), c + sum for beta == 1.
inline void merge_tile(const float* tile, std::size_t tile_cols, float* c, std::size_t ldc,
                       float beta, std::size_t rows, std::size_t cols) {
    for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
            float& out = c[i * ldc + j];
            const float sum = tile[i * tile_cols + j];
            out = beta == 0.0f ? sum : beta == 1.0f ? out + sum : beta * out + sum;
        }
}

// c (m, n) = beta * c when there is nothing to add (k == 0).
inline void scale(std::size_t m, std::size_t n, float beta, float* c, std::size_t ldc) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

// c (m, n; row stride ldc) = beta * c + a (m, k) @ b (k, n), blocked, with a policy that has
//   mr, nr                       the register tile's rows and columns;
//   runs_into_c()                whether a whole tile may merge straight into c (else every
//                                tile goes through the edge scratch and merge_tile);
//   pack_b(jc, nc, pc, kc)       makes b's block (rows pc.., columns jc..) ready;
//   pack_a(ic, mc, pc, kc)       makes a's block (rows ic.., columns pc..) ready;
//   run(ir, rows, jr, c, ldc, beta)
//                                c (mr x nr) = beta * c + the sums of rows ir..ir+mr of a's
//                                block with panel jr of b's; only the first `rows` rows are
//                                real (the others of a's block are zero, or skipped).
// The first kc-block of the sum applies beta, the later ones add to it.
template <typename Policy>
void blocked_product(Policy& policy, std::size_t m, std::size_t n, std::size_t k, float beta,
                     float* c, std::size_t ldc) {
    const std::size_t mr = policy.mr, nr = policy.nr;
    ScratchBuffer<float> tile(mr * nr);
    for (std::size_t jc = 0; jc < n; jc += NC) {
        const std::size_t nc = std::min(NC, n - jc);
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kc = std::min(KC, k - pc);
            const float block_beta = pc == 0 ? beta : 1.0f;
            policy.pack_b(jc, nc, pc, kc);
            for (std::size_t ic = 0; ic < m; ic += MC) {
                const std::size_t mc = std::min(MC, m - ic);
                policy.pack_a(ic, mc, pc, kc);
                for (std::size_t jr = 0; jr < nc; jr += nr) {
                    const std::size_t cols = std::min(nr, nc - jr);
                    for (std::size_t ir = 0; ir < mc; ir += mr) {
                        const std::size_t rows = std::min(mr, mc - ir);
                        float* c_tile = c + (ic + ir) * ldc + jc + jr;
                        if (rows == mr && cols == nr && policy.runs_into_c()) {
                            policy.run(ir, rows, jr, c_tile, ldc, block_beta);
                        } else {
                            // At the edge of c: a whole tile on the side, then its valid part.
                            policy.run(ir, rows, jr, tile.data(), nr, 0.0f);
                            merge_tile(tile.data(), nr, c_tile, ldc, block_beta, rows, cols);
                        }
                    }
                }
            }
        }
    }
}

}  // namespace lrnn::gemm_blocking
