// 16 zmm chains: two FMA ports x 4-cycle latency needs 8; 16 leaves slack.
#include <immintrin.h>

#include "fma_peak.h"

namespace tensorfold {
namespace {

constexpr int kChains = 16;

float run(int64_t iters) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(1.0f + 0.001f * i);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t t = 0; t < iters; ++t)
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  __m512 s = acc[0];
  for (int i = 1; i < kChains; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float r = 0;
  for (float v : lanes) r += v;
  return r;
}

}  // namespace

FmaPeakKernel fma_peak_avx512() { return {&run, int64_t{kChains} * 16 * 2}; }

}  // namespace tensorfold
