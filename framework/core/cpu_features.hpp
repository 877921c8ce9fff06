#pragma once
// What the CPU this process runs on can do, asked once at run time. The binary is built for
// baseline x86-64; code for wider vector units lives in functions compiled for that ISA
// (target attributes) and is only called when these say the CPU and the OS support it.

#include <string>

namespace lrnn {

struct CpuFeatures {
    bool avx2_fma = false;     // AVX2 and FMA3: 256-bit vectors
    bool avx512 = false;       // AVX-512 F: 512-bit vectors
    bool avx512_bf16 = false;  // AVX512_BF16: vdpbf16ps
    bool amx_bf16 = false;     // AMX tiles with TDPBF16PS, allowed by the OS (and AVX512_BF16)
};

// Detected on the first call (the answer cannot change while the process runs).
const CpuFeatures& cpu_features();

// "avx512 avx512_bf16 amx_bf16 avx2_fma", or "baseline" when none: for messages and the bench.
std::string describe(const CpuFeatures& features);

}  // namespace lrnn
