// 12 ymm chains: two FMA ports x 4-5 cycle latency needs 8-10.
#include <immintrin.h>

#include "fma_peak.h"

namespace tensorfold {
namespace {

constexpr int kChains = 12;

float run(int64_t iters) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(1.0f + 0.001f * i);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t t = 0; t < iters; ++t)
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  __m256 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float r = 0;
  for (float v : lanes) r += v;
  return r;
}

}  // namespace

FmaPeakKernel fma_peak_avx2() { return {&run, int64_t{kChains} * 8 * 2}; }

}  // namespace tensorfold
