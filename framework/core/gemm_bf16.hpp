#pragma once
// The matrix products of train.precision: bf16 and bf16_amx (docs/kernels.md, "bf16 products").
// Every element of a and b is rounded to bfloat16 (float_to_bf16_flushed: subnormals to zero,
// then nearest-even) while it is packed, and the products are summed in float32.
//
// bf16: the sums of AMD's and Intel's vdpbf16ps: k is taken in pairs, and per pair
//     acc = acc + a[2i+1] * b[2i+1], then acc = acc + a[2i] * b[2i]
// each product exact, each addition rounded to nearest-even, a subnormal result flushed to
// zero; the sum of each kc-block of k starts from zero and is added to c as in sgemm
// (core/gemm_kernels.hpp). Two paths compute exactly that, so a bf16 run gives the same bits on
// any CPU that can run it: vdpbf16ps itself (AVX512_BF16), or the same additions emulated with
// float FMAs (AVX2 + FMA3 or AVX-512 F) under flush-to-zero. tests/gemm_bf16_test.cpp holds the
// two together.
//
// bf16_amx: Intel's AMX tiles (path Amx). TDPBF16PS sums each group of 16 pairs its own way,
// more precisely than two roundings per pair and not documented bit for bit, so these sums
// differ from bf16's and no other CPU reproduces them: the same blocking, per kc-block one
// TDPBF16PS per whole group of 16 pairs, the pairs after the last group by vdpbf16ps's rule.
// A bf16_amx run gives the same bits for any thread count and across a resume, on AMX CPUs.
//
// Like sgemm every path runs on the calling thread and its bits depend on the shape only.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/gemm_blocking.hpp"
#include "core/gemm_kernels.hpp"
#include "core/gemm_micro_kernels.hpp"
#include "core/precision.hpp"

namespace lrnn {

// Emulated and Avx512Bf16 compute bf16's sums, Amx bf16_amx's.
enum class Bf16GemmPath { Emulated, Avx512Bf16, Amx };

std::string bf16_gemm_path_name(Bf16GemmPath path);  // "emulated", "avx512_bf16", "amx"

// Emulated: the CPU has AVX2 and FMA3. Avx512Bf16: it has AVX512_BF16. Amx: it has AMX-BF16
// and the OS lets this process use the tiles (cpu_features().amx_bf16).
bool bf16_gemm_path_available(Bf16GemmPath path);

// Every path of bf16's sums this CPU can run, Emulated first (empty on a CPU without
// AVX2/FMA3). Amx is not one of them.
std::vector<Bf16GemmPath> available_bf16_gemm_paths();

// The faster of the two where the CPU has AVX512_BF16 (timed on a product of the model's
// shape; the bits are the same: Zen 4/5 run vdpbf16ps at twice the FMA rate, Intel's Xeons at
// half of it, where the emulation on float FMAs wins), Emulated otherwise, or the path the
// environment variable LRNN_GEMM_BF16 names (emulated, avx512_bf16). UserError if this CPU can
// run no bf16 path (or not the one named): a bf16 run refuses to start rather than compute
// something else. Decided once per process.
Bf16GemmPath best_bf16_gemm_path();

// Amx; UserError when this CPU cannot run it (no AMX-BF16, or the OS refused the tiles): a
// bf16_amx run, evaluation or generation refuses to start rather than compute other sums.
Bf16GemmPath amx_bf16_gemm_path();

// The path of a precision's products: bf16 best_bf16_gemm_path(), bf16_amx amx_bf16_gemm_path()
// (UserErrors as theirs). std::invalid_argument for fp32, which has none.
Bf16GemmPath bf16_gemm_path_for(Precision precision);

// c (m, n; row stride ldc) = beta * c + bf16(a) (m, k) @ bf16(b) (k, n), float sums as above.
// beta == 0 does not read c. std::invalid_argument for a path this CPU cannot run.
void bf16_sgemm(Bf16GemmPath path, std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
                MatrixOperand b, float beta, float* c, std::size_t ldc);

// b (k, n) of a bf16_sgemm rounded and laid out once, in exactly the panels that `path`'s tile
// reads (pairs of bf16 as 32-bit words for avx512_bf16 and amx; the emulation's swapped float panels,
// for the fp32 tile bf16_sgemm would use), block by block as bf16_sgemm packs them. A product
// over it (bf16_sgemm_packed) gives bf16_sgemm's bits without packing b again: for weights
// multiplied once per generated token, and for a training step's weights, which every chunk
// of the step multiplies (model/packed_weights.hpp). It copies b's values: after a change to
// b, repack().
class Bf16PackedMatrix {
public:
    // std::invalid_argument for a path this CPU cannot run.
    Bf16PackedMatrix(Bf16GemmPath path, std::size_t k, std::size_t n, MatrixOperand b);

    // b's new values, same shape.
    void repack(MatrixOperand b);

    Bf16GemmPath path() const { return path_; }
    std::size_t rows() const { return k_; }  // k
    std::size_t cols() const { return n_; }  // n
    const MicroKernel& fp32_tile() const { return fp32_; }  // the emulation's tile
    // Block (jc, pc) of gemm_blocking (columns jc.., rows pc.. of b): its panels of words
    // (avx512_bf16, amx) or floats (emulated), as the blocked loop reads them.
    const std::uint32_t* words(std::size_t jc, std::size_t pc) const {
        return words_.data() + start(jc, pc);
    }
    const float* floats(std::size_t jc, std::size_t pc) const {
        return floats_.data() + start(jc, pc);
    }

private:
    std::size_t start(std::size_t jc, std::size_t pc) const {
        return block_start_[jc / gemm_blocking::NC * k_blocks_ + pc / gemm_blocking::KC];
    }

    Bf16GemmPath path_;
    std::size_t k_, n_;
    MicroKernel fp32_;
    std::size_t k_blocks_;                   // blocks of KC rows
    std::vector<std::size_t> block_start_;   // per block (jc, pc), in words or floats
    gemm_blocking::AlignedBuffer<std::uint32_t> words_;  // avx512_bf16 and amx only
    gemm_blocking::AlignedBuffer<float> floats_;         // emulated only
};

// c (m, b.cols(); row stride ldc) = beta * c + bf16(a) (m, b.rows()) @ b: bit for bit
// bf16_sgemm(b.path(), ...) over the matrix b was packed from.
void bf16_sgemm_packed(std::size_t m, MatrixOperand a, const Bf16PackedMatrix& b, float beta,
                       float* c, std::size_t ldc);

// The emulated path on a given fp32 tile (the path itself takes the widest this CPU has), for
// tests: the AVX2 tile's emulation on a CPU that would use AVX-512's. The caller makes sure the
// CPU can run `tile`.
void bf16_sgemm_emulated_on(const MicroKernel& tile, std::size_t m, std::size_t n, std::size_t k,
                            MatrixOperand a, MatrixOperand b, float beta, float* c,
                            std::size_t ldc);

}  // namespace lrnn
