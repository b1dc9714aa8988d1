// Baseline x86-64 has no FMA: a multiply and an add per step, which the
// compiler vectorises over the chains with SSE2.
#include "fma_peak.h"

namespace tensorfold {
namespace {

constexpr int kChains = 32;

float run(int64_t iters) {
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = 1.0f + 0.001f * i;
  for (int64_t t = 0; t < iters; ++t)
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
  float r = 0;
  for (float v : acc) r += v;
  return r;
}

}  // namespace

FmaPeakKernel fma_peak_generic() { return {&run, int64_t{kChains} * 2}; }

FmaPeakKernel fma_peak_for(IsaTier tier) {
  switch (tier) {
    case IsaTier::kAvx512: return fma_peak_avx512();
    case IsaTier::kAvx2: return fma_peak_avx2();
    default: return fma_peak_generic();
  }
}

}  // namespace tensorfold
