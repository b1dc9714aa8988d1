// AVX-512 N:M kernels. Built with the AVX-512 and BMI2 flags only; called
// only when the CPU has them.
#include <immintrin.h>

#include "nm_kernels.h"

namespace tensorfold {
namespace {

// 16 lane indices of one metadata record, as int32 lanes: pdep spreads the
// packed b-bit fields into bytes, which then widen.
inline __m512i decode16(const uint8_t* rec, int bits) {
  const uint64_t r = nm_record(rec);
  const uint64_t field = (uint64_t{1} << bits) - 1;
  const uint64_t mask = field * 0x0101010101010101ull;
  const uint64_t lo = _pdep_u64(r, mask), hi = _pdep_u64(r >> (8 * bits), mask);
  return _mm512_cvtepu8_epi32(_mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo)));
}

inline __mmask16 valid_rows(const NmView& w, int64_t rb) {
  int64_t left = w.rows - rb * kNmLanes;
  return left >= kNmLanes ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

template <int T>
void rows_t(const NmView& w, int64_t rb0, int64_t rb1, const float* x, const float* bias, float* y) {
  const __mmask16 gmask = static_cast<__mmask16>(w.m >= 16 ? 0xFFFF : (1u << w.m) - 1u);
  const int64_t rec_bytes = nm_record_bytes(w);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    __m512 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t g = 0; g < w.groups; ++g) {
      __m512 xg[T];
      for (int t = 0; t < T; ++t) xg[t] = _mm512_maskz_loadu_ps(gmask, x + t * w.k + g * w.m);
      const float* vals = nm_block_values(w, rb, g);
      const uint8_t* recs = nm_block_records(w, rb, g);
      for (int s = 0; s < w.n; ++s) {
        const __m512 v = _mm512_loadu_ps(vals + s * kNmLanes);
        const __m512i idx = decode16(recs + s * rec_bytes, w.bits);
        for (int t = 0; t < T; ++t) acc[t] = _mm512_fmadd_ps(v, _mm512_permutexvar_ps(idx, xg[t]), acc[t]);
      }
    }
    const __mmask16 keep = valid_rows(w, rb);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(keep, bias + rb * kNmLanes) : _mm512_setzero_ps();
    for (int t = 0; t < T; ++t)
      _mm512_mask_storeu_ps(y + t * w.rows + rb * kNmLanes, keep, _mm512_add_ps(acc[t], b));
  }
}

void rows_kernel(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t tokens,
                 const float* bias, float* y) {
  switch (tokens) {
    case 1: return rows_t<1>(w, rb0, rb1, x, bias, y);
    case 2: return rows_t<2>(w, rb0, rb1, x, bias, y);
    case 3: return rows_t<3>(w, rb0, rb1, x, bias, y);
    case 4: return rows_t<4>(w, rb0, rb1, x, bias, y);
    case 5: return rows_t<5>(w, rb0, rb1, x, bias, y);
    case 6: return rows_t<6>(w, rb0, rb1, x, bias, y);
    case 7: return rows_t<7>(w, rb0, rb1, x, bias, y);
    default: return rows_t<8>(w, rb0, rb1, x, bias, y);
  }
}

// The vector type the shared token-tile kernel is written over.
struct Vec {
  using T = __m512;
  static constexpr int kWidth = 16;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_load_ps(p); }
  static T loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_store_ps(p, v); }
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
};

#include "nm_tile.inc"

}  // namespace

const NmKernels& nm_kernels_avx512() {
  static const NmKernels k{"avx512-permute/broadcast", &rows_kernel, &tile_kernel, 16 * kMaxTv};
  return k;
}

}  // namespace tensorfold
