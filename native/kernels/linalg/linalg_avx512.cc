// The float64 inner loops compiled for the AVX-512 tier.
#include "linalg_kernels.h"

namespace tensorfold {
namespace {
#include "linalg_kernels.inc"
}  // namespace

const LinalgKernels& linalg_kernels_avx512() {
  static const LinalgKernels k{"avx512", &dot_impl, &axpy_impl, &rot_impl, &tile_impl};
  return k;
}

}  // namespace tensorfold
