// The narrow-weight GEMM compiled for the AVX2 + FMA (8 floats per vector) tier.
#include <immintrin.h>

#include "small_n.h"

namespace tensorfold {
namespace {
#define VLEN 8
typedef float vf __attribute__((vector_size(32), aligned(4)));
inline void store_partial(float* p, vf v, int count) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lanes), reinterpret_cast<__m256>(v));
}
#include "small_n.inc"
#undef VLEN
}  // namespace

SmallNKernel small_n_kernel_avx2() { return &kernel; }

}  // namespace tensorfold
