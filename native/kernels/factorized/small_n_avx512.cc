// The narrow-weight GEMM compiled for the AVX-512 (16 floats per vector) tier.
#include <immintrin.h>

#include "small_n.h"

namespace tensorfold {
namespace {
#define VLEN 16
typedef float vf __attribute__((vector_size(64), aligned(4)));
inline void store_partial(float* p, vf v, int count) {
  _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1u), reinterpret_cast<__m512>(v));
}
#include "small_n.inc"
#undef VLEN
}  // namespace

SmallNKernel small_n_kernel_avx512() { return &kernel; }

}  // namespace tensorfold
