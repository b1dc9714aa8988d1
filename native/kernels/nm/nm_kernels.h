// The contract between the N:M driver (nm.cc) and the per-tier kernels.
#pragma once
#include <cstdint>

#include "nm_format.h"

namespace tensorfold {

// Few tokens (decode): rows are the vector lanes, each token's group of m
// activations sits in one register and the metadata permutes the kept ones
// into place — y rows of blocks [rb0, rb1) for all `tokens` (<= kNmRowsMaxTokens).
using NmRowsKernel = void (*)(const NmView& w, int64_t rb0, int64_t rb1, const float* x,
                              int64_t tokens, const float* bias, float* y);

// Many tokens: x transposed one chunk of tokens at a time (xt: k x ldxt,
// the chunk's tokens contiguous in columns [0, tcount), zero beyond, up to
// a multiple of 16), so each kept weight broadcasts against a run of tokens.
// Computes row block rb for tokens [t0, t0 + tcount) and writes y (+ bias).
using NmTileKernel = void (*)(const NmView& w, int64_t rb, const float* xt, int64_t ldxt,
                              int64_t t0, int64_t tcount, const float* bias, float* y);

constexpr int64_t kNmRowsMaxTokens = 8;

struct NmKernels {
  const char* name;
  NmRowsKernel rows;
  NmTileKernel tile;
  int64_t chunk;  // tokens per tile call
};

const NmKernels& nm_kernels_generic();
const NmKernels& nm_kernels_avx2();
const NmKernels& nm_kernels_avx512();

// Groups per K block of the tile kernels: kNmBlockRows activation rows of xt
// (x 128 tokens x 4 bytes) stay in L1 while 16 rows of W visit them.
constexpr int kNmBlockRows = 32;
inline int64_t nm_groups_per_block(int m) { return m >= kNmBlockRows ? 1 : kNmBlockRows / m; }

// Unpacks the kept weights of row block rb, groups [g0, g1), lane by lane:
// val[lane * stride + j] and the element offset of its activation row in xt
// (off[...] = row * ldxt), j over the lane's kept weights in group order.
// Returns the count per lane, (g1 - g0) * n. Decoding once here keeps the
// tile kernels' inner loops to a broadcast, an offset and the multiply-adds.
static inline int64_t nm_unpack_block(const NmView& w, int64_t rb, int64_t g0, int64_t g1, int64_t ldxt,
                                      int64_t stride, float* val, int64_t* off) {
  const int64_t rec_bytes = nm_record_bytes(w);
  for (int64_t g = g0; g < g1; ++g) {
    const float* vals = nm_block_values(w, rb, g);
    const uint8_t* recs = nm_block_records(w, rb, g);
    for (int s = 0; s < w.n; ++s) {
      const uint64_t rec = nm_record(recs + s * rec_bytes);
      const int64_t j = (g - g0) * w.n + s;
      for (int lane = 0; lane < kNmLanes; ++lane) {
        val[lane * stride + j] = vals[s * kNmLanes + lane];
        off[lane * stride + j] = (g * w.m + nm_lane_index(rec, lane, w.bits)) * ldxt;
      }
    }
  }
  return (g1 - g0) * w.n;
}

// Kept weights per lane in one K block, at most (kNmBlockRows / m) * n < kNmBlockRows.
constexpr int64_t kNmUnpackStride = kNmBlockRows;

}  // namespace tensorfold
