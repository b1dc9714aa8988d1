// The inner loops of the float64 linear algebra, compiled once per ISA tier
// (linalg_kernels.inc included under each tier's flags) and picked from the
// active tier, like the GEMM microkernels. The drivers (qr.cc, svd.cc,
// dgemm.cc) are tier-independent.
#pragma once
#include <cstdint>

#include "../../core/cpu_features.h"

namespace tensorfold {

struct LinalgKernels {
  const char* name;
  // x . y
  double (*dot)(const double* x, const double* y, int64_t n);
  // y += alpha * x
  void (*axpy)(double alpha, const double* x, double* y, int64_t n);
  // (x, y) <- (c x - s y, s x + c y): a plane rotation of two columns.
  void (*rot)(double* x, double* y, int64_t n, double c, double s);
  // C[4 x 16] (+)= A-panel (kc x 4, interleaved) * B-panel (kc x 16); rows
  // of C are ldc apart; m_eff / n_eff clip the tile at the matrix edge.
  void (*tile)(int64_t kc, const double* ap, const double* bp, double* c, int64_t ldc, double alpha,
               double beta, int m_eff, int n_eff);
};

constexpr int kDgemmMr = 4;
constexpr int kDgemmNr = 16;

const LinalgKernels& linalg_kernels_generic();
const LinalgKernels& linalg_kernels_avx2();
const LinalgKernels& linalg_kernels_avx512();

// The active tier's kernels.
const LinalgKernels& linalg_kernels();

}  // namespace tensorfold
