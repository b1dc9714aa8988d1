// The contract between the N:M driver (nm.cc) and the per-tier kernels.
#pragma once
#include <cstdint>

#include "nm_format.h"

namespace tensorfold {

// Few tokens (decode): rows are the vector lanes, each token's group of m
// activations sits in one register and the metadata permutes the kept ones
// into place — y rows of blocks [rb0, rb1) for all `tokens` (<= the tier's
// rows_max_tokens).
using NmRowsKernel = void (*)(const NmView& w, int64_t rb0, int64_t rb1, const float* x,
                              int64_t tokens, const float* bias, float* y);

// Many tokens: x transposed one chunk of tokens at a time (xt: k x ldxt,
// the chunk's tokens contiguous in columns [0, tcount), zero beyond, up to
// a multiple of 16), so each kept weight broadcasts against a run of tokens.
// Computes row block rb for tokens [t0, t0 + tcount) over groups [g0, g1):
// y = sum + bias when g0 == 0, y += sum after (the driver splits long
// reductions into slices of groups so a slice of xt stays in L2).
using NmTileKernel = void (*)(const NmView& w, int64_t rb, const float* xt, int64_t ldxt,
                              int64_t t0, int64_t tcount, int64_t g0, int64_t g1, const float* bias, float* y);

struct NmKernels {
  const char* name;
  NmRowsKernel rows;
  NmTileKernel tile;         // null where the rows form takes every token count
  int64_t rows_max_tokens;  // the rows form up to this many tokens, the tile form beyond
  int64_t chunk;            // tokens per tile call
};

const NmKernels& nm_kernels_generic();
const NmKernels& nm_kernels_avx2();
const NmKernels& nm_kernels_avx512();

// K blocks of the tile kernels: the activation rows of a block (each TV
// registers of tokens wide) stay in L1 while the 16 rows of W visit them, and
// the partial sums wait in memory between blocks, so a block is as many rows
// as fit kNmBlockBytes, in whole groups, up to kNmMaxSlots kept weights per row.
constexpr int64_t kNmBlockBytes = 16 << 10;
constexpr int64_t kNmMaxSlots = 128;
inline int64_t nm_groups_per_block(int n, int m, int64_t row_bytes) {
  const int64_t rows = kNmBlockBytes / row_bytes;
  const int64_t g = rows / m;
  return g < 1 ? 1 : (g * n > kNmMaxSlots ? kNmMaxSlots / n : g);
}

// The few-token forms' walk over a row block: groups [0, groups) through
// group(acc[c]), taking turns over C chains of sums (C = 1, 2 or 4) so that
// more sums are in flight than the FMA latency needs. Spelled out: a loop over
// the chains left them in memory (docs/PERF.md, N:M item 26).
template <int C, class Acc, class Group>
inline void nm_groups_over_chains(int64_t groups, Acc (&acc)[C], Group&& group) {
  static_assert(C == 1 || C == 2 || C == 4, "1, 2 or 4 chains");
  int64_t g = 0;
  for (; g + C <= groups; g += C) {
    group(acc[0]);
    if constexpr (C >= 2) group(acc[C >= 2 ? 1 : 0]);
    if constexpr (C >= 4) {
      group(acc[C >= 4 ? 2 : 0]);
      group(acc[C >= 4 ? 3 : 0]);
    }
  }
  for (; g < groups; ++g) group(acc[0]);
}

// Activation chunks of the many-token form are k x chunk floats; past this
// size a chunk would not stay in L2 while every row block streams through
// it, so the reduction is taken in slices of at most this many bytes.
constexpr int64_t kNmChunkBytes = 1 << 20;

}  // namespace tensorfold
