// Unit-stride float64 sums, AVX-512: eight floats widened per instruction,
// four zmm of partial sums. Built with -mavx512f; called only on CPUs that
// have it.
#include <immintrin.h>

#include "dot.h"

namespace tensorfold {
namespace {

double sum(const float* x, const float* y, int64_t n) {
  __m512d a0 = _mm512_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  // The zero-masked forms: GCC 12's plain ones start from an undefined
  // register and warn about it.
  auto widen = [](const float* p) { return _mm512_maskz_cvtps_pd(0xFF, _mm256_loadu_ps(p)); };
  if (y) {
    for (; i + 32 <= n; i += 32) {
      a0 = _mm512_fmadd_pd(widen(x + i), widen(y + i), a0);
      a1 = _mm512_fmadd_pd(widen(x + i + 8), widen(y + i + 8), a1);
      a2 = _mm512_fmadd_pd(widen(x + i + 16), widen(y + i + 16), a2);
      a3 = _mm512_fmadd_pd(widen(x + i + 24), widen(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm512_fmadd_pd(widen(x + i), widen(y + i), a0);
  } else {
    for (; i + 32 <= n; i += 32) {
      a0 = _mm512_add_pd(a0, widen(x + i));
      a1 = _mm512_add_pd(a1, widen(x + i + 8));
      a2 = _mm512_add_pd(a2, widen(x + i + 16));
      a3 = _mm512_add_pd(a3, widen(x + i + 24));
    }
    for (; i + 8 <= n; i += 8) a0 = _mm512_add_pd(a0, widen(x + i));
  }
  const __m512d s = _mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3));
  const __m256d q = _mm256_add_pd(_mm512_maskz_extractf64x4_pd(0xF, s, 0), _mm512_maskz_extractf64x4_pd(0xF, s, 1));
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(q), _mm256_extractf128_pd(q, 1));
  double acc = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < n; ++i) acc += y ? static_cast<double>(x[i]) * y[i] : static_cast<double>(x[i]);
  return acc;
}

}  // namespace

UnitSumKernel unit_sum_avx512() { return &sum; }

}  // namespace tensorfold
