// The contract between the blocked GEMM driver and the per-tier microkernels.
#pragma once
#include <cstdint>

namespace tensorfold {

// Computes an mr x nr tile: C = alpha * Ap * B + beta * C (beta == 0: C is
// not read), where Ap is a packed A micro-panel (kc steps of `mr` floats,
// rows past m_eff zero-padded) and B row p starts at b + p * ldb with the
// tile's columns contiguous. Only the m_eff x n_eff corner of C is touched,
// and B is read only in its first n_eff columns.
using GemmMicrokernel = void (*)(int64_t kc, const float* ap, const float* b, int64_t ldb,
                                 float* c, int64_t rs_c, float alpha, float beta, int m_eff,
                                 int n_eff);

// C = alpha * A * B + beta * C for m <= kSmallM rows, B read in place with
// unit column stride (beta == 0: C is not read). For memory-bound shapes:
// B streams once per pair of rows. Measured at 768 x 3072: 0.11 / 0.13 /
// 0.24 / 0.26 ms for 1-4 rows against 0.29 tiled.
using GemmSmallM = void (*)(int m, int64_t n, int64_t k, const float* a, int64_t rs_a,
                            int64_t cs_a, const float* b, int64_t rs_b, float* c, int64_t rs_c,
                            float alpha, float beta);
// The same for a packed B block (nc columns in panels of nr, kc rows each),
// m <= small_m_packed rows: each panel streams once, contiguously, and all
// rows sum in registers. Measured at 768 x 3072 (AVX-512): 0.10 / 0.12 / 0.13 / 0.14
// ms for 1-4 rows, 0.19 for 8 and 0.24 for 10, against 0.28 tiled for any of
// them; the driver also runs a last, partial row panel through it.
using GemmSmallMPanels = void (*)(int m, int64_t nc, int64_t kc, const float* a, int64_t rs_a,
                                  int64_t cs_a, const float* b, int64_t col_step, int64_t ldb, float* c,
                                  int64_t rs_c, float alpha, float beta);
constexpr int kSmallM = 4;

struct GemmKernelInfo {
  const char* name;
  int mr, nr;          // register tile
  int mc, kc, nc;      // cache blocking (mc multiple of mr, nc of nr)
  GemmMicrokernel kernel;
  GemmSmallM small_m;
  GemmSmallMPanels small_m_panels;
  int small_m_packed;  // most rows small_m_panels takes: its sums fill half the registers
};

// One per tier, each defined in its own translation unit.
const GemmKernelInfo& gemm_kernel_generic();
const GemmKernelInfo& gemm_kernel_avx2();
const GemmKernelInfo& gemm_kernel_avx512();

}  // namespace tensorfold
