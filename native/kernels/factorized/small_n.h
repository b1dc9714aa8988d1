// GEMMs whose right operand is a narrow weight (a few dozen columns), as the
// mode products of TT, Tucker and CP layers are: C[row, j] = Σ_p A[row, p]
// W[p, j]. A BLIS-style GEMM pays for packing A and for 12 x 32 tiles that
// such shapes fill poorly; here W's rows come from L1 and each row of A is
// read where it lies (any row and column strides, no packing), with a row
// index of two levels (outer x inner, e.g. tokens x kept indices), so a whole
// token block is one call. Plain C++: no Node headers.
#pragma once
#include <cstdint>

namespace tensorfold {

struct SmallNArgs {
  int64_t outer = 1, inner = 0, n = 0, k = 0;
  // A[(o, i), p] = a[o * sa + i * rsa + p * csa]
  const float* a = nullptr;
  int64_t sa = 0, rsa = 0, csa = 0;
  // W[p, j] = w[p * ldw + j]; columns n .. ldw - 1 must be zero, ldw a multiple of 16.
  const float* w = nullptr;
  int64_t ldw = 0;
  // C[(o, i), j] = c[o * sc + i * rsc + j]
  float* c = nullptr;
  int64_t sc = 0, rsc = 0;
};

// Rows [i0, i1) of every outer index in [o0, o1).
using SmallNKernel = void (*)(const SmallNArgs& g, int64_t o0, int64_t o1, int64_t i0, int64_t i1);

SmallNKernel small_n_kernel_generic();
SmallNKernel small_n_kernel_avx2();
SmallNKernel small_n_kernel_avx512();

// On up to max_threads threads of the pool (<= 0: all), on the active tier.
void small_n_gemm(const SmallNArgs& g, int max_threads = 0);

// The padded width W needs: n rounded up to a multiple of 16.
inline int64_t small_n_ldw(int64_t n) { return (n + 15) / 16 * 16; }

}  // namespace tensorfold
