// AVX2+FMA microkernel: a 6 x 16 tile held in 12 ymm accumulators. Built with
// -mavx2 -mfma only; like every tier file it avoids standard-library templates.
#include <immintrin.h>

#include "gemm_microkernel.h"

namespace tensorfold {
#include "gemm_small_m.inc"
}  // namespace tensorfold

namespace tensorfold {
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

inline __m256i lane_mask(int n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

constexpr int64_t kPrefetchB = 16;

template <bool kFullN>
inline void tile(int64_t kc, const float* ap, const float* b, int64_t ldb, float* c, int64_t rs_c,
                 float alpha, float beta, int m_eff, int n_eff) {
  const __m256i m0 = lane_mask(n_eff);
  const __m256i m1 = lane_mask(n_eff - 8);
  __m256 acc[kMr][2];
#pragma GCC unroll 6
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();

#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    __m256 b0, b1;
    if (kFullN) {
      b0 = _mm256_loadu_ps(b);
      b1 = _mm256_loadu_ps(b + 8);
    } else {
      b0 = _mm256_maskload_ps(b, m0);
      b1 = _mm256_maskload_ps(b + 8, m1);
    }
    // B streams from L2; ask for it a few steps ahead (as the AVX-512 kernel does).
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchB * ldb), _MM_HINT_T0);
#pragma GCC unroll 6
    for (int i = 0; i < kMr; ++i) {
      __m256 a = _mm256_broadcast_ss(ap + i);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
    ap += kMr;
    b += ldb;
  }

  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  for (int i = 0; i < m_eff; ++i) {
    float* row = c + i * rs_c;
    __m256 r0 = _mm256_mul_ps(va, acc[i][0]);
    __m256 r1 = _mm256_mul_ps(va, acc[i][1]);
    if (kFullN) {
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
      }
      _mm256_storeu_ps(row, r0);
      _mm256_storeu_ps(row + 8, r1);
    } else {
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row, m0), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(row + 8, m1), r1);
      }
      _mm256_maskstore_ps(row, m0, r0);
      _mm256_maskstore_ps(row + 8, m1, r1);
    }
  }
}

void kernel(int64_t kc, const float* ap, const float* b, int64_t ldb, float* c, int64_t rs_c,
            float alpha, float beta, int m_eff, int n_eff) {
  if (n_eff == kNr)
    tile<true>(kc, ap, b, ldb, c, rs_c, alpha, beta, m_eff, n_eff);
  else
    tile<false>(kc, ap, b, ldb, c, rs_c, alpha, beta, m_eff, n_eff);
}

}  // namespace

const GemmKernelInfo& gemm_kernel_avx2() {
  static const GemmKernelInfo info{"avx2-6x16", kMr, kNr, 120, 256, 1024, &kernel, &small_m_rows,
                                   &small_m_panels<kNr, 8, 4>, 4};
  return info;
}

}  // namespace tensorfold
