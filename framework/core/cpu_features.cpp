#include "core/cpu_features.hpp"

namespace lrnn {

namespace {

CpuFeatures detect() {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    // GCC's checks include the OS's consent (XCR0) for the wider registers.
    __builtin_cpu_init();
    f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    f.avx512 = f.avx2_fma && __builtin_cpu_supports("avx512f");
    // (every AVX512_BF16 CPU has AVX-512 BW, which the bf16 packing uses too)
    f.avx512_bf16 = f.avx512 && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
#endif
    return f;
}

}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures features = detect();
    return features;
}

std::string describe(const CpuFeatures& f) {
    std::string s;
    const auto add = [&s](bool has, const char* name) {
        if (!has) return;
        if (!s.empty()) s += ' ';
        s += name;
    };
    add(f.avx512, "avx512");
    add(f.avx512_bf16, "avx512_bf16");
    add(f.avx2_fma, "avx2_fma");
    return s.empty() ? "baseline" : s;
}

}  // namespace lrnn
