// A probe of the machine's multiply-add peak: independent FMA chains, enough
// of them to hide the latency, so the figure is what the FMA ports can do.
#pragma once
#include <cstdint>

#include "../../core/cpu_features.h"

namespace tensorfold {

// Runs `iters` steps of the tier's FMA loop on the calling thread and returns
// a value that depends on every step (so the work cannot be optimised away).
// flops_per_iter tells how many floating-point operations one step is.
struct FmaPeakKernel {
  float (*run)(int64_t iters);
  int64_t flops_per_iter;
};

FmaPeakKernel fma_peak_generic();
FmaPeakKernel fma_peak_avx2();
FmaPeakKernel fma_peak_avx512();
FmaPeakKernel fma_peak_for(IsaTier tier);

}  // namespace tensorfold
