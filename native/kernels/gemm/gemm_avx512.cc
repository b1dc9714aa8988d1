// AVX-512 microkernel: a 12 x 32 tile held in 24 zmm accumulators. Built with
// -mavx512f/bw/vl/dq only; nothing here may be called unless the CPU has them.
// The file uses no standard-library templates, so no inline function compiled
// with these flags can be picked by the linker for another tier's caller.
#include <immintrin.h>

#include "gemm_microkernel.h"

namespace tensorfold {
#include "gemm_small_m.inc"
}  // namespace tensorfold

namespace tensorfold {
namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

inline __mmask16 lane_mask(int n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF)
                 : n <= 0 ? static_cast<__mmask16>(0)
                          : static_cast<__mmask16>((1u << n) - 1u);
}

// Steps ahead that B is prefetched: 8-32 measured alike, none 3-7 % slower (docs/PERF.md).
constexpr int64_t kPrefetchB = 16;

template <bool kFullN>
inline void tile(int64_t kc, const float* ap, const float* b, int64_t ldb, float* c, int64_t rs_c,
                 float alpha, float beta, int m_eff, int n_eff) {
  const __mmask16 m0 = kFullN ? static_cast<__mmask16>(0xFFFF) : lane_mask(n_eff);
  const __mmask16 m1 = kFullN ? static_cast<__mmask16>(0xFFFF) : lane_mask(n_eff - 16);
  __m512 acc[kMr][2];
#pragma GCC unroll 12
  for (int i = 0; i < kMr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int i = 0; i < m_eff; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * rs_c), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * rs_c + 16), _MM_HINT_T0);
  }

#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    __m512 b0, b1;
    if (kFullN) {
      b0 = _mm512_loadu_ps(b);
      b1 = _mm512_loadu_ps(b + 16);
    } else {
      b0 = _mm512_maskz_loadu_ps(m0, b);
      b1 = _mm512_maskz_loadu_ps(m1, b + 16);
    }
    // B streams from L2; ask for it a few steps ahead (A is already in L1).
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchB * ldb), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchB * ldb + 16), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < kMr; ++i) {
      __m512 a = _mm512_set1_ps(ap[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
    ap += kMr;
    b += ldb;
  }

  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  for (int i = 0; i < m_eff; ++i) {
    float* row = c + i * rs_c;
    __m512 r0 = _mm512_mul_ps(va, acc[i][0]);
    __m512 r1 = _mm512_mul_ps(va, acc[i][1]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), r1);
    }
    if (kFullN) {
      _mm512_storeu_ps(row, r0);
      _mm512_storeu_ps(row + 16, r1);
    } else {
      _mm512_mask_storeu_ps(row, m0, r0);
      _mm512_mask_storeu_ps(row + 16, m1, r1);
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

const GemmKernelInfo& gemm_kernel_avx512() {
  static const GemmKernelInfo info{"avx512-12x32", kMr, kNr, 240, 256, 1024, &kernel, &small_m_rows,
                                   &small_m_panels<kNr, 16, 12>, 12};
  return info;
}

}  // namespace tensorfold
