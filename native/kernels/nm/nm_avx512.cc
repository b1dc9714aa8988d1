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

constexpr int kMaxTv = 8;  // 8 zmm of tokens: 128 per chunk

template <int TV>
void tile_tv(const NmView& w, int64_t rb, const float* xt, int64_t ldxt, int64_t t0, int64_t tcount,
             const float* bias, float* y) {
  alignas(64) float yt[kNmLanes][TV * 16];
  alignas(64) float val[kNmLanes * kNmUnpackStride];
  alignas(64) int64_t off[kNmLanes * kNmUnpackStride];
  const int64_t gpb = nm_groups_per_block(w.m);
  const int lanes = static_cast<int>(nm_min(kNmLanes, w.rows - rb * kNmLanes));
  const float* base = xt;
  for (int64_t g0 = 0; g0 < w.groups; g0 += gpb) {
    const int64_t g1 = nm_min(w.groups, g0 + gpb);
    const int64_t count = nm_unpack_block(w, rb, g0, g1, ldxt, kNmUnpackStride, val, off);
    for (int lane = 0; lane < lanes; ++lane) {
      __m512 acc[TV];
      for (int v = 0; v < TV; ++v) acc[v] = g0 == 0 ? _mm512_setzero_ps() : _mm512_load_ps(yt[lane] + 16 * v);
      const float* lv = val + lane * kNmUnpackStride;
      const int64_t* lo = off + lane * kNmUnpackStride;
      for (int64_t j = 0; j < count; ++j) {
        const __m512 wv = _mm512_set1_ps(lv[j]);
        const float* row = base + lo[j];
        for (int v = 0; v < TV; ++v) acc[v] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(row + 16 * v), acc[v]);
      }
      for (int v = 0; v < TV; ++v) _mm512_store_ps(yt[lane] + 16 * v, acc[v]);
    }
  }
  for (int64_t t = 0; t < tcount; ++t) {
    float* out = y + (t0 + t) * w.rows + rb * kNmLanes;
    for (int lane = 0; lane < lanes; ++lane) out[lane] = yt[lane][t] + (bias ? bias[rb * kNmLanes + lane] : 0.0f);
  }
}

void tile_kernel(const NmView& w, int64_t rb, const float* xt, int64_t ldxt, int64_t t0,
                 int64_t tcount, const float* bias, float* y) {
  switch ((tcount + 15) / 16) {
    case 1: return tile_tv<1>(w, rb, xt, ldxt, t0, tcount, bias, y);
    case 2: return tile_tv<2>(w, rb, xt, ldxt, t0, tcount, bias, y);
    case 3: return tile_tv<3>(w, rb, xt, ldxt, t0, tcount, bias, y);
    case 4: return tile_tv<4>(w, rb, xt, ldxt, t0, tcount, bias, y);
    case 5: return tile_tv<5>(w, rb, xt, ldxt, t0, tcount, bias, y);
    case 6: return tile_tv<6>(w, rb, xt, ldxt, t0, tcount, bias, y);
    case 7: return tile_tv<7>(w, rb, xt, ldxt, t0, tcount, bias, y);
    default: return tile_tv<kMaxTv>(w, rb, xt, ldxt, t0, tcount, bias, y);
  }
}

}  // namespace

const NmKernels& nm_kernels_avx512() {
  static const NmKernels k{"avx512-permute/broadcast", &rows_kernel, &tile_kernel, 16 * kMaxTv};
  return k;
}

}  // namespace tensorfold
