// Unit-stride float64 sums, AVX2: four floats widened per instruction, four
// ymm of partial sums. Built with -mavx2 -mfma; called only on CPUs that
// have them.
#include <immintrin.h>

#include "dot.h"

namespace tensorfold {
namespace {

double sum(const float* x, const float* y, int64_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  auto widen = [](const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); };
  if (y) {
    for (; i + 16 <= n; i += 16) {
      a0 = _mm256_fmadd_pd(widen(x + i), widen(y + i), a0);
      a1 = _mm256_fmadd_pd(widen(x + i + 4), widen(y + i + 4), a1);
      a2 = _mm256_fmadd_pd(widen(x + i + 8), widen(y + i + 8), a2);
      a3 = _mm256_fmadd_pd(widen(x + i + 12), widen(y + i + 12), a3);
    }
    for (; i + 4 <= n; i += 4) a0 = _mm256_fmadd_pd(widen(x + i), widen(y + i), a0);
  } else {
    for (; i + 16 <= n; i += 16) {
      a0 = _mm256_add_pd(a0, widen(x + i));
      a1 = _mm256_add_pd(a1, widen(x + i + 4));
      a2 = _mm256_add_pd(a2, widen(x + i + 8));
      a3 = _mm256_add_pd(a3, widen(x + i + 12));
    }
    for (; i + 4 <= n; i += 4) a0 = _mm256_add_pd(a0, widen(x + i));
  }
  __m256d s = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  double acc = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  for (; i < n; ++i) acc += y ? static_cast<double>(x[i]) * y[i] : static_cast<double>(x[i]);
  return acc;
}

}  // namespace

UnitSumKernel unit_sum_avx2() { return &sum; }

}  // namespace tensorfold
