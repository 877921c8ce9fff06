#pragma once
// The matrix product of train.precision: bf16 (docs/kernels.md, "bf16 products"): every
// element of a and b is rounded to bfloat16 (float_to_bf16_flushed: subnormals to zero, then
// nearest-even) while it is packed, and the products are summed in float32 the way AMD's and
// Intel's vdpbf16ps sums them: k is taken in pairs, and per pair
//     acc = acc + a[2i+1] * b[2i+1], then acc = acc + a[2i] * b[2i]
// each product exact, each addition rounded to nearest-even, a subnormal result flushed to
// zero; the sum of each kc-block of k starts from zero and is added to c as in sgemm
// (core/gemm_kernels.hpp). Two paths compute exactly that, so a bf16 run gives the same bits on
// any CPU that can run it: vdpbf16ps itself (AVX512_BF16), or the same additions emulated with
// float FMAs (AVX2 + FMA3 or AVX-512 F) under flush-to-zero. tests/gemm_bf16_test.cpp holds the
// two together. Like sgemm it runs on the calling thread and its bits depend on the shape only.

#include <cstddef>
#include <string>
#include <vector>

#include "core/gemm_kernels.hpp"
#include "core/gemm_micro_kernels.hpp"

namespace lrnn {

enum class Bf16GemmPath { Emulated, Avx512Bf16 };

std::string bf16_gemm_path_name(Bf16GemmPath path);  // "emulated", "avx512_bf16"

// Emulated: the CPU has AVX2 and FMA3. Avx512Bf16: it has AVX512_BF16.
bool bf16_gemm_path_available(Bf16GemmPath path);

// Every path this CPU can run, Emulated first (empty on a CPU without AVX2/FMA3).
std::vector<Bf16GemmPath> available_bf16_gemm_paths();

// Avx512Bf16 where the CPU has it, Emulated otherwise, or the path the environment variable
// LRNN_GEMM_BF16 names (emulated, avx512_bf16). UserError if this CPU can run no bf16 path (or
// not the one named): a bf16 run refuses to start rather than compute something else.
// Decided once per process.
Bf16GemmPath best_bf16_gemm_path();

// c (m, n; row stride ldc) = beta * c + bf16(a) (m, k) @ bf16(b) (k, n), float sums as above.
// beta == 0 does not read c. std::invalid_argument for a path this CPU cannot run.
void bf16_sgemm(Bf16GemmPath path, std::size_t m, std::size_t n, std::size_t k, MatrixOperand a,
                MatrixOperand b, float beta, float* c, std::size_t ldc);

// The emulated path on a given fp32 tile (the path itself takes the widest this CPU has), for
// tests: the AVX2 tile's emulation on a CPU that would use AVX-512's. The caller makes sure the
// CPU can run `tile`.
void bf16_sgemm_emulated_on(const MicroKernel& tile, std::size_t m, std::size_t n, std::size_t k,
                            MatrixOperand a, MatrixOperand b, float beta, float* c,
                            std::size_t ldc);

}  // namespace lrnn
