// The float64 inner loops compiled for the baseline x86-64 (SSE2) tier.
#include "linalg_kernels.h"

namespace tensorfold {
namespace {
#include "linalg_kernels.inc"
}  // namespace

const LinalgKernels& linalg_kernels_generic() {
  static const LinalgKernels k{"generic", &dot_impl, &axpy_impl, &rot_impl, &tile_impl};
  return k;
}

}  // namespace tensorfold
