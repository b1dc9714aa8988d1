// Portable microkernel: a 4 x 8 tile in plain C++, which the compiler
// vectorises with the baseline x86-64 (SSE2) instruction set.
#include "gemm_microkernel.h"

namespace tensorfold {
#include "gemm_small_m.inc"
}  // namespace tensorfold

namespace tensorfold {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

void kernel(int64_t kc, const float* ap, const float* b, int64_t ldb, float* c, int64_t rs_c,
            float alpha, float beta, int m_eff, int n_eff) {
  float acc[kMr][kNr] = {};
  if (n_eff == kNr) {
    for (int64_t p = 0; p < kc; ++p, ap += kMr, b += ldb)
      for (int i = 0; i < kMr; ++i)
        for (int j = 0; j < kNr; ++j) acc[i][j] += ap[i] * b[j];
  } else {
    for (int64_t p = 0; p < kc; ++p, ap += kMr, b += ldb)
      for (int i = 0; i < kMr; ++i)
        for (int j = 0; j < n_eff; ++j) acc[i][j] += ap[i] * b[j];
  }
  for (int i = 0; i < m_eff; ++i) {
    float* row = c + i * rs_c;
    for (int j = 0; j < n_eff; ++j)
      row[j] = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * row[j];
  }
}

}  // namespace

const GemmKernelInfo& gemm_kernel_generic() {
  static const GemmKernelInfo info{"generic-4x8", kMr, kNr, 128, 256, 2048, &kernel, &small_m_rows,
                                   &small_m_panels<kNr, 4, 4>, 4};
  return info;
}

}  // namespace tensorfold
