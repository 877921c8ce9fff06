#pragma once
// AMX tile loads and stores as asm that tells the compiler which memory they touch. GCC 12's
// intrinsics do not: _tile_loadconfig declares 8 of its 64 bytes (the compiler dropped the
// stores that filled the rest of a configuration, and ldtilecfg faulted), and _tile_loadd and
// _tile_stored declare none, which lets the compiler move or drop the stores before a load and
// the reads after a store. Use them in functions compiled for "amx-tile".

// tile (a tile register number, 0..7) = rows of `stride` bytes from base.
#define LRNN_TILE_LOADD(tile, base, stride) \
    __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #tile ::"r"(base), "r"(long(stride)) : "memory")
// rows of `stride` bytes at base = tile.
#define LRNN_TILE_STORED(tile, base, stride) \
    __asm__ volatile("tilestored %%tmm" #tile ", (%0,%1,1)" ::"r"(base), "r"(long(stride)) : "memory")
// Loads the 64-byte tile configuration `config` (an lvalue).
#define LRNN_TILE_LOADCONFIG(config) __asm__ volatile("ldtilecfg %0" ::"m"(config) : "memory")
