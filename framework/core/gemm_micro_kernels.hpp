#pragma once
// The register tiles of core/gemm_kernels.cpp, one per ISA, each compiled for its ISA only
// (target attributes): call one only when cpu_features() says the CPU has it.

#include <cstddef>
#include <cstdint>

namespace lrnn {

// c (mr x nr tile, row stride ldc) = beta * c
//     + sum over p < kc of a[i * a_row_stride + p * a_col_stride] * b[p * nr + j],
// the sum taken in order of p with one FMA per term, from zero. beta == 0 does not read c;
// beta == 1 adds. a is read in place (or from a packed panel: strides 1 and mr), b is a packed
// panel (gemm_kernels.cpp).
using MicroKernelFn = void (*)(std::size_t kc, const float* a, std::size_t a_row_stride,
                               std::size_t a_col_stride, const float* b, float* c,
                               std::size_t ldc, float beta);

// The same sums for one row of a (row 0 of the tile, the same FMAs in the same order, so the
// same bits): c (1 x nr) = beta * c + sum over p < kc of a[p * a_col_stride] * b[p * nr + j].
// A one-token step of generation has one row; the tile would compute mr.
using MicroKernelRowFn = void (*)(std::size_t kc, const float* a, std::size_t a_col_stride,
                                  const float* b, float* c, float beta);

struct MicroKernel {
    std::size_t mr;  // rows of the tile
    std::size_t nr;  // columns of the tile, a multiple of the vector width
    MicroKernelFn run;
    MicroKernelRowFn run_row;
};

MicroKernel avx512_micro_kernel();  // 8 x 32: 16 zmm accumulators
MicroKernel avx2_micro_kernel();    // 6 x 16: 12 ymm accumulators

// The bf16 tile (core/gemm_bf16.cpp), 8 x 32 like avx512_micro_kernel, AVX512_BF16 only:
// c = beta * c + sum over q < pairs of vdpbf16ps steps. a and b hold pairs of bf16 values
// (low half k = 2q, high half 2q + 1) as 32-bit words: a[i * a_row_stride + q * a_col_stride]
// (row i), b a packed panel b[q * 32 + j] (column j). Each step adds a[2q+1] b[2q+1], then
// a[2q] b[2q] (docs/kernels.md).
inline constexpr std::size_t kBf16TileRows = 8, kBf16TileCols = 32;
void avx512_bf16_8x32(std::size_t pairs, const std::uint32_t* a, std::size_t a_row_stride,
                      std::size_t a_col_stride, const std::uint32_t* b, float* c, std::size_t ldc,
                      float beta);
// Row 0 of that tile alone (the same bits), c (1 x 32).
void avx512_bf16_1x32(std::size_t pairs, const std::uint32_t* a, std::size_t a_col_stride,
                      const std::uint32_t* b, float* c, float beta);

// The AMX tile of precision bf16_amx (core/gemm_bf16.cpp, docs/kernels.md "AMX"), AMX-BF16
// only: 32 x 32 of c as four 16 x 16 accumulator tiles. c = beta * c + the sums of a's rows
// (a[i * a_row_stride + q], a pair of bf16 per word) with b's panel (b[q * 32 + j], as
// avx512_bf16_8x32 reads it): per group of 16 pairs one TDPBF16PS, whose sums are the
// hardware's own (not vdpbf16ps's: each group is summed with more precision than two roundings
// per pair); the pairs after the last whole group by vdpbf16ps. Only the first `rows` rows are
// computed and written (the rows of a past them are read when rows > 16 and must be zero).
// Call it inside an AmxTileScope of the same tile_rows.
inline constexpr std::size_t kAmxTileRows = 32, kAmxTileCols = 32, kAmxGroupPairs = 16;
void amx_bf16_32x32(std::size_t pairs, const std::uint32_t* a, std::size_t a_row_stride,
                    const std::uint32_t* b, float* c, std::size_t ldc, float beta,
                    std::size_t rows);

// The tile configuration of amx_bf16_32x32 loaded on this thread (tiles belong to the
// thread), released on destruction. tile_rows (1..16) is the rows of a and c tiles: 16 for a
// product of 16 rows or more, its row count for a smaller one (a generation step: 1), which
// makes TDPBF16PS do only that many rows; a row's sums do not depend on it.
class AmxTileScope {
public:
    explicit AmxTileScope(std::size_t tile_rows);
    ~AmxTileScope();
    AmxTileScope(const AmxTileScope&) = delete;
    AmxTileScope& operator=(const AmxTileScope&) = delete;
};

}  // namespace lrnn
