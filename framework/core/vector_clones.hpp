#pragma once
// LRNN_VECTOR_CLONES before a function that runs our own loops (layer norms, shifts, the scan,
// the gates, the loss): GCC compiles it three times, for AVX-512, AVX2 and baseline x86-64,
// and the loader picks the one this CPU can run (function multi-versioning, an ifunc). The
// clones are the same source compiled for wider vectors: the same IEEE operations in the same
// order per element (no -ffast-math, no FMA contraction, no reassociated sums), so their
// results are bit-identical; only the speed differs (docs/kernels.md).

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LRNN_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LRNN_VECTOR_CLONES
#endif
