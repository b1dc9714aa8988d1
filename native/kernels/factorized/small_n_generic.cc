// The narrow-weight GEMM compiled for the baseline x86-64 (SSE2: 4 floats per vector) tier.
#include "small_n.h"

namespace tensorfold {
namespace {
#define VLEN 4
typedef float vf __attribute__((vector_size(16), aligned(4)));
inline void store_partial(float* p, vf v, int count) {
  for (int j = 0; j < count && j < 4; ++j) p[j] = v[j];
}
#include "small_n.inc"
#undef VLEN
}  // namespace

SmallNKernel small_n_kernel_generic() { return &kernel; }

}  // namespace tensorfold
