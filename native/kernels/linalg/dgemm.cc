// Blocked float64 GEMM for the decompositions: B packed per (kc x nc) block
// into 16-column panels, A per 4-row panel, a 4 x 16 register tile. Rows of C
// are split between threads; each thread packs its own A panels.
#include <algorithm>
#include <vector>

#include "../../core/thread_pool.h"
#include "linalg.h"
#include "linalg_kernels.h"

namespace tensorfold {

const LinalgKernels& linalg_kernels() {
  switch (active_tier()) {
    case IsaTier::kAvx512: return linalg_kernels_avx512();
    case IsaTier::kAvx2: return linalg_kernels_avx2();
    default: return linalg_kernels_generic();
  }
}

namespace {

constexpr int64_t kKc = 256;
constexpr int64_t kNc = 512;
constexpr int64_t kMc = 64;
// Below this many flops the call stays on one thread.
constexpr double kMinFlopsPerThread = 1 << 20;

inline double at(const double* x, int64_t ld, bool trans, int64_t i, int64_t j) {
  return trans ? x[j * ld + i] : x[i * ld + j];
}

}  // namespace

void dgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
           const double* b, int64_t ldb, double beta, double* c, int64_t ldc, int max_threads) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0 ? 0.0 : beta * c[i * ldc + j];
    return;
  }
  const LinalgKernels& kern = linalg_kernels();
  int nt = max_threads > 0 ? std::min(max_threads, pool_threads()) : pool_threads();
  const double flops = 2.0 * static_cast<double>(m) * n * k;
  nt = std::max(1, std::min<int>(nt, static_cast<int>(flops / kMinFlopsPerThread)));
  nt = std::max(1, std::min<int>(nt, static_cast<int>((m + kDgemmMr - 1) / kDgemmMr)));

  std::vector<double> bpack(static_cast<size_t>(kKc) * (kNc + kDgemmNr));
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    const int64_t panels = (nc + kDgemmNr - 1) / kDgemmNr;
    for (int64_t pc = 0; pc < k; pc += kKc) {
      const int64_t kc = std::min(kKc, k - pc);
      // Panel q holds kc rows of 16 columns; columns past the edge are zero.
      for (int64_t q = 0; q < panels; ++q) {
        double* dst = bpack.data() + q * kc * kDgemmNr;
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t j = 0; j < kDgemmNr; ++j) {
            const int64_t col = jc + q * kDgemmNr + j;
            dst[p * kDgemmNr + j] = col < jc + nc ? at(b, ldb, tb, pc + p, col) : 0.0;
          }
      }
      const double beta_eff = pc == 0 ? beta : 1.0;
      parallel_for((m + kDgemmMr - 1) / kDgemmMr, nt, [&](int64_t r0, int64_t r1) {
        std::vector<double> apack(static_cast<size_t>(kKc) * kDgemmMr * kMc);
        for (int64_t rb = r0; rb < r1; rb += kMc) {
          const int64_t re = std::min(r1, rb + kMc);
          for (int64_t r = rb; r < re; ++r) {
            double* dst = apack.data() + (r - rb) * kc * kDgemmMr;
            for (int64_t p = 0; p < kc; ++p)
              for (int i = 0; i < kDgemmMr; ++i) {
                const int64_t row = r * kDgemmMr + i;
                dst[p * kDgemmMr + i] = row < m ? at(a, lda, ta, row, pc + p) : 0.0;
              }
          }
          for (int64_t q = 0; q < panels; ++q) {
            const int n_eff = static_cast<int>(std::min<int64_t>(kDgemmNr, nc - q * kDgemmNr));
            for (int64_t r = rb; r < re; ++r) {
              const int m_eff = static_cast<int>(std::min<int64_t>(kDgemmMr, m - r * kDgemmMr));
              kern.tile(kc, apack.data() + (r - rb) * kc * kDgemmMr, bpack.data() + q * kc * kDgemmNr,
                        c + r * kDgemmMr * ldc + jc + q * kDgemmNr, ldc, alpha, beta_eff, m_eff, n_eff);
            }
          }
        }
      });
    }
  }
}

void dgemm_reference(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                     int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += at(a, lda, ta, i, p) * at(b, ldb, tb, p, j);
      c[i * ldc + j] = beta == 0.0 ? alpha * s : alpha * s + beta * c[i * ldc + j];
    }
}

}  // namespace tensorfold
