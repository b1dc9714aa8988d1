// Dense single-precision GEMM: C = alpha * A * B + beta * C.
//
// Operands are described by element strides, so transposes and sub-matrices
// are views rather than copies; C must have unit column stride. This is the
// entry point the contraction, factorized and sparse kernels share.
#pragma once
#include <cstdint>

#include "../../core/cpu_features.h"

namespace tensorfold {

struct PackedB;  // B laid out for one tier's microkernel once (gemm_pack.h)

struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;  // A[i, p] = a[i * rs_a + p * cs_a]
  int64_t rs_a = 0, cs_a = 0;
  const float* b = nullptr;  // B[p, j] = b[p * rs_b + j * cs_b]
  int64_t rs_b = 0, cs_b = 0;
  float* c = nullptr;        // C[i, j] = c[i * rs_c + j]
  int64_t rs_c = 0;
  float alpha = 1.0f;
  float beta = 0.0f;         // 0: C is write-only (never read, NaN-safe)
  // When set, B comes from here (k x n, packed by gemm_pack_b) and b, rs_b,
  // cs_b are ignored; batched calls then share it (stride_b unused).
  const PackedB* b_packed = nullptr;
  // An operand whose rows or columns are not one stride apart (an einsum
  // index group that does not fuse) may give an offset per row and per
  // column instead of copying itself into shape: A[i, p] = a[a_rows[i] +
  // a_cols[p]] (rs_a, cs_a ignored), B likewise. Both tables or neither;
  // such an operand is always packed, so the copy happens there.
  const int64_t* a_rows = nullptr;
  const int64_t* a_cols = nullptr;
  const int64_t* b_rows = nullptr;
  const int64_t* b_cols = nullptr;
};

// Batched form: operand b of batch item t starts at base + t * stride.
struct GemmBatch {
  int64_t count = 1;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
};

// Runs on the compute pool with up to `max_threads` threads (<= 0: the pool
// size), on the kernels of the active ISA tier.
void sgemm(const GemmArgs& args, int max_threads = 0);
void sgemm_batched(const GemmArgs& args, const GemmBatch& batch, int max_threads = 0);

// Same, on an explicit tier (for tests and the planner). The tier must be
// supported by the CPU.
void sgemm_on_tier(IsaTier tier, const GemmArgs& args, const GemmBatch& batch, int max_threads);

// Name of the microkernel a tier runs, e.g. "avx512-12x32".
const char* gemm_kernel_name(IsaTier tier);

// Reference with float64 accumulation; single-threaded and simple.
void sgemm_reference(const GemmArgs& args);

}  // namespace tensorfold
