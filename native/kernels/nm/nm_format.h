// The N:M compressed weight, in the layout the kernels read and files store
// (docs/nm-format.md). W is rows x k (y = x · Wᵀ); each row keeps n of every
// m consecutive weights along k. Rows are taken 16 at a time ("row blocks",
// the last padded with zero rows), so one SIMD register holds the kept value
// of slot s of group g for 16 rows:
//
//   values  float32 [row_blocks][groups][n][16]
//   indices one record per (row block, group, slot): 16 lanes x `bits` bits,
//           lane l at bits [l*bits, (l+1)*bits) of the record, least
//           significant first; records are 2*bits bytes, back to back.
//
// bits = ceil(log2 m); within a group a row's indices strictly increase.
// Padding rows hold zero values and indices 0, 1, ..., n-1.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../../core/cpu_features.h"
#include "../../core/huge_pages.h"

namespace tensorfold {

constexpr int kNmLanes = 16;
constexpr int kNmMaxM = 16;

static inline int nm_index_bits(int m) {
  int b = 0;
  while ((1 << b) < m) ++b;
  return b < 1 ? 1 : b;
}

// What the kernels read: plain pointers and sizes. The helpers below are
// `static` so each ISA tier's translation unit keeps its own copy (an inline
// function with external linkage could be shared across tiers by the linker).
struct NmView {
  int64_t rows, k;
  int n, m, bits;
  int64_t groups, row_blocks;
  const float* values;
  const uint8_t* indices;
};

static inline int64_t nm_record_bytes(const NmView& w) { return 2 * w.bits; }

static inline const float* nm_block_values(const NmView& w, int64_t rb, int64_t g) {
  return w.values + ((rb * w.groups + g) * w.n) * kNmLanes;
}

static inline const uint8_t* nm_block_records(const NmView& w, int64_t rb, int64_t g) {
  return w.indices + ((rb * w.groups + g) * w.n) * nm_record_bytes(w);
}

// A record's 64 bits (bits <= 4, so 16 lanes fit; storage has 8 bytes of
// tail padding so the last record can be read this way too).
static inline uint64_t nm_record(const uint8_t* rec) {
  uint64_t v;
  __builtin_memcpy(&v, rec, sizeof v);
  return v;
}

static inline int nm_lane_index(uint64_t record, int lane, int bits) {
  return static_cast<int>((record >> (lane * bits)) & ((1u << bits) - 1u));
}

static inline int64_t nm_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t nm_max(int64_t a, int64_t b) { return a > b ? a : b; }

// The owning form.
struct NmMatrix {
  int64_t rows = 0, k = 0;
  int n = 0, m = 0, bits = 0;
  int64_t groups = 0, row_blocks = 0;
  HugeVector<float> values;
  HugeVector<uint8_t> indices;  // records + 8 bytes of padding

  int64_t records() const { return row_blocks * groups * n; }
  NmView view() const {
    return {rows, k, n, m, bits, groups, row_blocks, values.data(), indices.data()};
  }
};

// Sizes a matrix for rows x k with n:m (k a multiple of m); zero-filled.
void nm_allocate(NmMatrix* w, int64_t rows, int64_t k, int n, int m);

// Checks every index: < m, strictly increasing within each row's group, and
// padding rows' records all zero-valued. Returns "" or what is wrong.
std::string nm_validate(const NmMatrix& mat);

// y[t, o] = sum_p x[t, p] * W[o, p] (+ bias[o]), float64 accumulation.
void nm_matmul_reference(const NmView& w, const float* x, int64_t tokens, const float* bias,
                         float* y);

const char* nm_kernel_name(IsaTier tier);

// The product on the active tier's kernels and the compute pool. y is
// tokens x rows, x is tokens x k, both row-major; bias may be null.
void nm_matmul(const NmView& w, const float* x, int64_t tokens, const float* bias, float* y,
               int max_threads);

}  // namespace tensorfold
