#include "core/cpu_features.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace lrnn {

namespace {

#if defined(__x86_64__)
// AMX-BF16: the CPU has the tiles and TDPBF16PS (CPUID.7.0:EDX bits 24 and 22), the OS saves
// the tile state (XCR0 bits 17 and 18), and Linux lets this process use it: the tile data is
// too large for the default signal frame, so each process asks once (ARCH_REQ_XCOMP_PERM for
// XFEATURE_XTILEDATA) and the kernel refuses the first tile instruction of a process that did not.
bool amx_bf16_usable() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    const bool tile = edx & (1u << 24), bf16 = edx & (1u << 22);
    if (!tile || !bf16) return false;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return false;  // OSXSAVE
    unsigned xcr0_lo = 0, xcr0_hi = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & (3u << 17)) != (3u << 17)) return false;
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}
#endif

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
#if defined(__x86_64__)
    // The AMX path packs with AVX512_BF16 and finishes a tile's last pairs with vdpbf16ps.
    f.amx_bf16 = f.avx512_bf16 && amx_bf16_usable();
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
    add(f.amx_bf16, "amx_bf16");
    add(f.avx2_fma, "avx2_fma");
    return s.empty() ? "baseline" : s;
}

}  // namespace lrnn
