// Hamming kernels on AVX-512 VPOPCNTDQ: one vpopcntd counts 16 key-plane
// words. Built with the AVX-512 flags plus -mavx512vpopcntdq in a library of
// its own, and reached only through hamming_kernels_vpopcnt(), which the
// dispatcher calls solely when cpu_features().avx512_vpopcntdq is set.
#include <immintrin.h>

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own
// _mm512_undefined_* placeholders once inlined; the warning is noise here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "hash_kernels.h"

namespace tensorfold {
namespace {

#include "hash_exp512.inc"

struct PopVp {
  using Acc = __m512i;
  static __m512i zero() { return _mm512_setzero_si512(); }
  static __m512i add(__m512i acc, __m512i x) { return _mm512_add_epi32(acc, _mm512_popcnt_epi32(x)); }
  static __m512i finish(__m512i acc) { return acc; }
};

#include "hash_hamming512.inc"

}  // namespace

const HammingKernels& hamming_kernels_vpopcnt() {
  static const HammingKernels k = {"avx512-vpopcntdq", hamming_tile_t<PopVp>, hamming_min_t<PopVp>,
                                   hamming_weights_t<PopVp>};
  return k;
}

}  // namespace tensorfold
