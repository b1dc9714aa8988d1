// AVX-512 hash-attention kernels. Built with -mavx512f/bw/vl/dq only; nothing
// here may run unless the CPU has them. Everything is internal except the
// kernel table, and no standard-library template is used, so no function
// compiled with these flags can be picked by the linker for another tier.
//
// Linear mode: an expanded mask is a 16-bit all-ones/zero word per (token,
// bit), loaded straight into a mask register; the hot loops are
// vaddps{k} over 16 value columns, with the sums held in registers.
#include <immintrin.h>

// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own
// _mm512_undefined_* placeholders once inlined; the warning is noise here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "hash_kernels.h"

namespace tensorfold {
namespace {

#include "hash_exp512.inc"

using Mask = uint16_t;
constexpr int64_t kBlock = 64;      // value columns per call: 4 vectors
constexpr int64_t kMaskAlign = 32;  // one vpmovm2w per 32 bits
constexpr int kBits = 4;            // bits per register block

void expand_masks(const uint64_t* codes, int64_t n, int words, int bits, int64_t ms, Mask* out) {
  const int parts = static_cast<int>(ms / 32);
  for (int64_t j = 0; j < n; ++j) {
    const uint64_t* c = codes + j * words;
    Mask* o = out + j * ms;
    for (int p = 0; p < parts; ++p) {
      const uint32_t part = static_cast<uint32_t>(c[p / 2] >> (32 * (p % 2)));
      _mm512_storeu_si512(o + 32 * p, _mm512_movm_epi16(_cvtu32_mask32(part)));
    }
  }
}

template <int DC>
inline void load_row(const float* p, __mmask16 tail, __m512 (&x)[DC]) {
  for (int c = 0; c < DC - 1; ++c) x[c] = _mm512_loadu_ps(p + 16 * c);
  x[DC - 1] = _mm512_maskz_loadu_ps(tail, p + 16 * (DC - 1));
}

template <int DC>
inline void store_row(float* p, __mmask16 tail, const __m512 (&x)[DC]) {
  for (int c = 0; c < DC - 1; ++c) _mm512_storeu_ps(p + 16 * c, x[c]);
  _mm512_mask_storeu_ps(p + 16 * (DC - 1), tail, x[DC - 1]);
}

// P rows t0..t0+BT of a padded table (row stride ldp >= 16 * DC) += the masked
// sums over n keys, accumulated from zero in registers first.
template <int DC, int BT>
void key_block(int64_t n, const Mask* km, int64_t ms, int t0, const float* v, int64_t ldv,
               __mmask16 tail, float* P, int64_t ldp) {
  __m512 acc[BT][DC];
  for (int t = 0; t < BT; ++t)
    for (int c = 0; c < DC; ++c) acc[t][c] = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    __m512 x[DC];
    load_row<DC>(v + j * ldv, tail, x);
    const Mask* mr = km + j * ms + t0;
    for (int t = 0; t < BT; ++t) {
      const __mmask16 k = mr[t];
      for (int c = 0; c < DC; ++c) acc[t][c] = _mm512_mask_add_ps(acc[t][c], k, acc[t][c], x[c]);
    }
  }
  for (int t = 0; t < BT; ++t)
    for (int c = 0; c < DC; ++c) {
      float* p = P + (t0 + t) * ldp + 16 * c;
      _mm512_storeu_ps(p, _mm512_add_ps(_mm512_loadu_ps(p), acc[t][c]));
    }
}

template <int DC>
void key_sweep_dc(int64_t n, int bits, const Mask* km, int64_t ms, const float* v, int64_t ldv,
                  __mmask16 tail, float* P, int64_t ldp) {
  int t0 = 0;
  for (; t0 + kBits <= bits; t0 += kBits) key_block<DC, kBits>(n, km, ms, t0, v, ldv, tail, P, ldp);
  switch (bits - t0) {
    case 3: key_block<DC, 3>(n, km, ms, t0, v, ldv, tail, P, ldp); break;
    case 2: key_block<DC, 2>(n, km, ms, t0, v, ldv, tail, P, ldp); break;
    case 1: key_block<DC, 1>(n, km, ms, t0, v, ldv, tail, P, ldp); break;
    default: break;
  }
}

void key_sweep(int64_t n, int bits, const Mask* km, int64_t ms, const float* v, int64_t ldv,
               int64_t w, float* P, int64_t ldp) {
  const int dc = static_cast<int>((w + 15) / 16);
  const __mmask16 tail = lanes16(w - 16 * (dc - 1));
  switch (dc) {
    case 1: key_sweep_dc<1>(n, bits, km, ms, v, ldv, tail, P, ldp); break;
    case 2: key_sweep_dc<2>(n, bits, km, ms, v, ldv, tail, P, ldp); break;
    case 3: key_sweep_dc<3>(n, bits, km, ms, v, ldv, tail, P, ldp); break;
    default: key_sweep_dc<4>(n, bits, km, ms, v, ldv, tail, P, ldp); break;
  }
}

// R queries at a time share each load of P[t]; the finished output is
// (alpha Q + beta_i V - gamma W + delta v_i) r_i.
template <int DC, int R>
void query_rows(int bits, const Mask* qm, int64_t ms, const float* P, int64_t ldp, __mmask16 tail,
                const float* beta, const float* rr, float alpha, float gamma, float delta,
                const float* V, const float* W, const float* vself, int64_t ldvs, float* out,
                int64_t ldo) {
  __m512 acc[R][DC];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < DC; ++c) acc[r][c] = _mm512_setzero_ps();
  for (int t = 0; t < bits; ++t) {
    __m512 p[DC];
    load_row<DC>(P + t * ldp, tail, p);
    for (int r = 0; r < R; ++r) {
      const __mmask16 k = qm[r * ms + t];
      for (int c = 0; c < DC; ++c) acc[r][c] = _mm512_mask_add_ps(acc[r][c], k, acc[r][c], p[c]);
    }
  }
  __m512 vv[DC], ww[DC];
  load_row<DC>(V, tail, vv);
  load_row<DC>(W, tail, ww);
  const __m512 va = _mm512_set1_ps(alpha), vg = _mm512_set1_ps(gamma), vd = _mm512_set1_ps(delta);
  for (int r = 0; r < R; ++r) {
    const __m512 vb = _mm512_set1_ps(beta[r]), vr = _mm512_set1_ps(rr[r]);
    __m512 o[DC];
    __m512 self[DC];
    if (vself) load_row<DC>(vself + r * ldvs, tail, self);
    for (int c = 0; c < DC; ++c) {
      __m512 x = _mm512_fmadd_ps(va, acc[r][c], _mm512_fnmadd_ps(vg, ww[c], _mm512_mul_ps(vb, vv[c])));
      if (vself) x = _mm512_fmadd_ps(vd, self[c], x);
      o[c] = _mm512_mul_ps(x, vr);
    }
    store_row<DC>(out + r * ldo, tail, o);
  }
}

template <int DC>
void query_sweep_dc(int64_t n, int bits, const Mask* qm, int64_t ms, const float* P, int64_t ldp,
                    __mmask16 tail, const float* beta, const float* rr, float alpha, float gamma,
                    float delta, const float* V, const float* W, const float* vself, int64_t ldvs,
                    float* out, int64_t ldo) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    query_rows<DC, 4>(bits, qm + i * ms, ms, P, ldp, tail, beta + i, rr + i, alpha, gamma, delta, V, W,
                      vself ? vself + i * ldvs : nullptr, ldvs, out + i * ldo, ldo);
  for (; i < n; ++i)
    query_rows<DC, 1>(bits, qm + i * ms, ms, P, ldp, tail, beta + i, rr + i, alpha, gamma, delta, V, W,
                      vself ? vself + i * ldvs : nullptr, ldvs, out + i * ldo, ldo);
}

void query_sweep(int64_t n, int bits, const Mask* qm, int64_t ms, const float* P, int64_t ldp,
                 int64_t w, const float* beta, const float* rr, float alpha, float gamma, float delta,
                 const float* V, const float* W, const float* vself, int64_t ldvs, float* out,
                 int64_t ldo) {
  const int dc = static_cast<int>((w + 15) / 16);
  const __mmask16 tail = lanes16(w - 16 * (dc - 1));
  switch (dc) {
    case 1: query_sweep_dc<1>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    case 2: query_sweep_dc<2>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    case 3: query_sweep_dc<3>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    default: query_sweep_dc<4>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
  }
}

// One register block of bits over n tokens in order: P[t] += key mask v_i,
// then (when Q) out_i += sum over the block's bits of query mask P[t].
template <int DC, int BT, bool Q>
void causal_block(int64_t n, const Mask* km, const Mask* qm, int64_t ms, int t0, const float* v,
                  int64_t ldv, __mmask16 tail, float* P, int64_t ldp, float* out, int64_t ldo) {
  __m512 p[BT][DC];
  for (int t = 0; t < BT; ++t) load_row<DC>(P + (t0 + t) * ldp, tail, p[t]);
  for (int64_t i = 0; i < n; ++i) {
    __m512 x[DC];
    load_row<DC>(v + i * ldv, tail, x);
    const Mask* kr = km + i * ms + t0;
    for (int t = 0; t < BT; ++t) {
      const __mmask16 k = kr[t];
      for (int c = 0; c < DC; ++c) p[t][c] = _mm512_mask_add_ps(p[t][c], k, p[t][c], x[c]);
    }
    if (Q) {
      __m512 o[DC];
      if (t0 == 0)
        for (int c = 0; c < DC; ++c) o[c] = _mm512_setzero_ps();
      else
        load_row<DC>(out + i * ldo, tail, o);
      const Mask* qr = qm + i * ms + t0;
      for (int t = 0; t < BT; ++t) {
        const __mmask16 k = qr[t];
        for (int c = 0; c < DC; ++c) o[c] = _mm512_mask_add_ps(o[c], k, o[c], p[t][c]);
      }
      store_row<DC>(out + i * ldo, tail, o);
    }
  }
  for (int t = 0; t < BT; ++t) store_row<DC>(P + (t0 + t) * ldp, tail, p[t]);
}

template <int DC, bool Q>
void causal_sweep_dc(int64_t n, int bits, const Mask* km, const Mask* qm, int64_t ms,
                     const float* v, int64_t ldv, __mmask16 tail, float* P, int64_t ldp, float* out,
                     int64_t ldo) {
  int t0 = 0;
  for (; t0 + kBits <= bits; t0 += kBits)
    causal_block<DC, kBits, Q>(n, km, qm, ms, t0, v, ldv, tail, P, ldp, out, ldo);
  switch (bits - t0) {
    case 3: causal_block<DC, 3, Q>(n, km, qm, ms, t0, v, ldv, tail, P, ldp, out, ldo); break;
    case 2: causal_block<DC, 2, Q>(n, km, qm, ms, t0, v, ldv, tail, P, ldp, out, ldo); break;
    case 1: causal_block<DC, 1, Q>(n, km, qm, ms, t0, v, ldv, tail, P, ldp, out, ldo); break;
    default: break;
  }
}

template <bool Q>
void causal_sweep_q(int64_t n, int bits, const Mask* km, const Mask* qm, int64_t ms, const float* v,
                    int64_t ldv, int64_t w, float* P, int64_t ldp, float* out, int64_t ldo) {
  const int dc = static_cast<int>((w + 15) / 16);
  const __mmask16 tail = lanes16(w - 16 * (dc - 1));
  switch (dc) {
    case 1: causal_sweep_dc<1, Q>(n, bits, km, qm, ms, v, ldv, tail, P, ldp, out, ldo); break;
    case 2: causal_sweep_dc<2, Q>(n, bits, km, qm, ms, v, ldv, tail, P, ldp, out, ldo); break;
    case 3: causal_sweep_dc<3, Q>(n, bits, km, qm, ms, v, ldv, tail, P, ldp, out, ldo); break;
    default: causal_sweep_dc<4, Q>(n, bits, km, qm, ms, v, ldv, tail, P, ldp, out, ldo); break;
  }
}

void causal_sweep(int64_t n, int bits, const Mask* km, const Mask* qm, int64_t ms, const float* v,
                  int64_t ldv, int64_t w, float* P, int64_t ldp, float* out, int64_t ldo) {
  if (qm)
    causal_sweep_q<true>(n, bits, km, qm, ms, v, ldv, w, P, ldp, out, ldo);
  else
    causal_sweep_q<false>(n, bits, km, qm, ms, v, ldv, w, P, ldp, out, ldo);
}

#include "hash_linear.inc"

// Popcount without VPOPCNTDQ: nibble lookups give byte counts, summed over
// planes in bytes (at most 8 planes x 8 bits fit) and widened to 32-bit once.
struct PopBw {
  using Acc = __m512i;
  static __m512i zero() { return _mm512_setzero_si512(); }
  static __m512i add(__m512i acc, __m512i x) {
    const __m512i lut = _mm512_set4_epi32(0x04030302, 0x03020201, 0x03020201, 0x02010100);
    const __m512i nib = _mm512_set1_epi8(0x0F);
    const __m512i lo = _mm512_and_si512(x, nib);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), nib);
    return _mm512_add_epi8(acc, _mm512_add_epi8(_mm512_shuffle_epi8(lut, lo), _mm512_shuffle_epi8(lut, hi)));
  }
  static __m512i finish(__m512i acc) {
    const __m512i m8 = _mm512_set1_epi32(0x00FF00FF);
    const __m512i s16 = _mm512_add_epi32(_mm512_and_si512(acc, m8), _mm512_and_si512(_mm512_srli_epi32(acc, 8), m8));
    return _mm512_add_epi32(_mm512_and_si512(s16, _mm512_set1_epi32(0xFFFF)), _mm512_srli_epi32(s16, 16));
  }
};

#include "hash_hamming512.inc"

void softmax_tile(float* s, int64_t lds, int64_t rows, int64_t cols, int64_t diag, float* m, float* l,
                  float* corr) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * lds;
    const int64_t lim = causal_limit(diag, r, cols);
    __m512 mx = _mm512_set1_ps(-__builtin_inff());
    for (int64_t j = 0; j < lim; j += 16)
      mx = _mm512_mask_max_ps(mx, lanes16(lim - j), mx, _mm512_maskz_loadu_ps(lanes16(lim - j), row + j));
    const float bm = _mm512_reduce_max_ps(mx);
    const float mn = lim == 0 ? m[r] : (bm > m[r] ? bm : m[r]);
    const float cr = lim == 0 || mn == m[r] ? 1.0f : _mm512_cvtss_f32(exp512(_mm512_set1_ps(m[r] - mn)));
    const __m512 vm = _mm512_set1_ps(mn);
    __m512 sum = _mm512_setzero_ps();
    for (int64_t j = 0; j < cols; j += 16) {
      const __mmask16 all = lanes16(cols - j), ok = lanes16(lim - j);
      const __m512 e = _mm512_maskz_mov_ps(ok, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(ok, row + j), vm)));
      sum = _mm512_add_ps(sum, e);
      _mm512_mask_storeu_ps(row + j, all, e);
    }
    corr[r] = cr;
    l[r] = l[r] * cr + _mm512_reduce_add_ps(sum);
    m[r] = mn;
  }
}

int64_t sign_pack(const float* proj, int64_t ldp, int64_t rows, int bits, uint64_t* codes, int words) {
  int64_t bad = -1;
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = proj + i * ldp;
    uint64_t* c = codes + i * words;
    for (int w = 0; w < words; ++w) c[w] = 0;
    __mmask16 nonfinite = 0;
    for (int t = 0; t < bits; t += 16) {
      const __mmask16 lanes = lanes16(bits - t);
      const __m512 x = _mm512_maskz_loadu_ps(lanes, row + t);
      const __mmask16 gt = _mm512_mask_cmp_ps_mask(lanes, x, zero, _CMP_GT_OQ);
      nonfinite |= _mm512_mask_fpclass_ps_mask(lanes, x, 0x99);  // NaN or +-Inf
      c[t / 64] |= static_cast<uint64_t>(gt) << (t % 64);
    }
    if (nonfinite && bad < 0) bad = i;
  }
  return bad;
}

void rbf(float* g, int64_t ldg, int64_t rows, int64_t m, const float* xa, const float* xb,
         const float* cn, float gamma, const float* mean) {
  const __m512 ng = _mm512_set1_ps(-gamma), zero = _mm512_setzero_ps();
  for (int64_t i = 0; i < rows; ++i) {
    float* row = g + i * ldg;
    const __m512 a = _mm512_set1_ps(xa[i]), b = _mm512_set1_ps(xb[i]);
    for (int64_t j = 0; j < m; j += 16) {
      const __mmask16 lanes = lanes16(m - j);
      __m512 d2 = _mm512_fmadd_ps(b, _mm512_maskz_loadu_ps(lanes, row + j),
                                  _mm512_add_ps(a, _mm512_maskz_loadu_ps(lanes, cn + j)));
      d2 = _mm512_max_ps(zero, d2);
      const __m512 phi = _mm512_sub_ps(exp512(_mm512_mul_ps(ng, d2)), _mm512_maskz_loadu_ps(lanes, mean + j));
      _mm512_mask_storeu_ps(row + j, lanes, phi);
    }
  }
}

}  // namespace

const HashTierKernels& hash_kernels_avx512() {
  static const HashTierKernels k = {
      "avx512",
      kBlock,
      static_cast<int>(sizeof(Mask)),
      kMaskAlign,
      linear_head,
      {"avx512bw-pshufb", hamming_tile_t<PopBw>, hamming_min_t<PopBw>, hamming_weights_t<PopBw>},
      softmax_tile,
      sign_pack,
      rbf,
  };
  return k;
}

}  // namespace tensorfold
