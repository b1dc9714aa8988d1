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
#pragma GCC diagnostic ignored "-Wuninitialized"

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

// kmovw from memory is a load-port uop; a mask loaded through a general
// register would add a kmovd on port 5, which the vector adds also need.
inline __mmask16 load_k(const Mask* p) {
  __mmask16 k;
  asm("kmovw %1, %0" : "=k"(k) : "m"(*p));
  return k;
}

template <int DC>
inline void load_row(const float* p, __mmask16 tail, __m512 (&x)[DC]) {
  #pragma GCC unroll 16
  for (int c = 0; c < DC - 1; ++c) x[c] = _mm512_loadu_ps(p + 16 * c);
  x[DC - 1] = _mm512_maskz_loadu_ps(tail, p + 16 * (DC - 1));
}

template <int DC>
inline void store_row(float* p, __mmask16 tail, const __m512 (&x)[DC]) {
  #pragma GCC unroll 16
  for (int c = 0; c < DC - 1; ++c) _mm512_storeu_ps(p + 16 * c, x[c]);
  _mm512_mask_storeu_ps(p + 16 * (DC - 1), tail, x[DC - 1]);
}

// P rows t0..t0+BT of a padded table (row stride ldp >= 16 * DC) += the masked
// sums over n keys, accumulated from zero in registers first.
template <int DC, int BT>
void key_block(int64_t n, const Mask* km, int64_t ms, int t0, const float* v, int64_t ldv,
               __mmask16 tail, float* P, int64_t ldp, float* V) {
  // The first block of bits also sums v itself (4 more adds per 64).
  __m512 vs[DC];
#pragma GCC unroll 16
  for (int c = 0; c < DC; ++c) vs[c] = _mm512_setzero_ps();
  __m512 acc[BT][DC];
  #pragma GCC unroll 16
  for (int t = 0; t < BT; ++t)
    #pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) acc[t][c] = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    __m512 x[DC];
    load_row<DC>(v + j * ldv, tail, x);
    if (V)
#pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) vs[c] = _mm512_add_ps(vs[c], x[c]);
    const Mask* mr = km + j * ms + t0;
    #pragma GCC unroll 16
    for (int t = 0; t < BT; ++t) {
      const __mmask16 k = load_k((mr + t));
      #pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) acc[t][c] = _mm512_mask_add_ps(acc[t][c], k, acc[t][c], x[c]);
    }
  }
  #pragma GCC unroll 16
  for (int t = 0; t < BT; ++t)
    #pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) {
      float* p = P + (t0 + t) * ldp + 16 * c;
      _mm512_storeu_ps(p, _mm512_add_ps(_mm512_loadu_ps(p), acc[t][c]));
    }
  if (V)
#pragma GCC unroll 16
    for (int c = 0; c < DC; ++c)
      _mm512_mask_storeu_ps(V + 16 * c, c == DC - 1 ? tail : static_cast<__mmask16>(0xFFFF),
                            _mm512_add_ps(_mm512_maskz_loadu_ps(c == DC - 1 ? tail : static_cast<__mmask16>(0xFFFF), V + 16 * c), vs[c]));
}

template <int DC>
void key_sweep_dc(int64_t n, int bits, const Mask* km, int64_t ms, const float* v, int64_t ldv,
                  __mmask16 tail, float* P, int64_t ldp, float* V) {
  int t0 = 0;
  for (; t0 + kBits <= bits; t0 += kBits) key_block<DC, kBits>(n, km, ms, t0, v, ldv, tail, P, ldp, t0 ? nullptr : V);
  float* vr = t0 ? nullptr : V;
  switch (bits - t0) {
    case 3: key_block<DC, 3>(n, km, ms, t0, v, ldv, tail, P, ldp, vr); break;
    case 2: key_block<DC, 2>(n, km, ms, t0, v, ldv, tail, P, ldp, vr); break;
    case 1: key_block<DC, 1>(n, km, ms, t0, v, ldv, tail, P, ldp, vr); break;
    default: break;
  }
}

void key_sweep(int64_t n, int bits, const Mask* km, int64_t ms, const float* v, int64_t ldv,
               int64_t w, float* P, int64_t ldp, float* V) {
  const int dc = static_cast<int>((w + 15) / 16);
  const __mmask16 tail = lanes16(w - 16 * (dc - 1));
  switch (dc) {
    case 1: key_sweep_dc<1>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
    case 2: key_sweep_dc<2>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
    case 3: key_sweep_dc<3>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
    default: key_sweep_dc<4>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
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
  #pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) acc[r][c] = _mm512_setzero_ps();
  for (int t = 0; t < bits; ++t) {
    __m512 p[DC];
    load_row<DC>(P + t * ldp, tail, p);
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __mmask16 k = load_k((qm + r * ms + t));
      #pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) acc[r][c] = _mm512_mask_add_ps(acc[r][c], k, acc[r][c], p[c]);
    }
  }
  __m512 vv[DC], ww[DC];
  load_row<DC>(V, tail, vv);
  load_row<DC>(W, tail, ww);
  const __m512 va = _mm512_set1_ps(alpha), vg = _mm512_set1_ps(gamma), vd = _mm512_set1_ps(delta);
  #pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const __m512 vb = _mm512_set1_ps(beta[r]), vr = _mm512_set1_ps(rr[r]);
    __m512 o[DC];
    __m512 self[DC];
    if (vself) load_row<DC>(vself + r * ldvs, tail, self);
    #pragma GCC unroll 16
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
  #pragma GCC unroll 16
  for (int t = 0; t < BT; ++t) load_row<DC>(P + (t0 + t) * ldp, tail, p[t]);
  for (int64_t i = 0; i < n; ++i) {
    __m512 x[DC];
    load_row<DC>(v + i * ldv, tail, x);
    const Mask* kr = km + i * ms + t0;
    #pragma GCC unroll 16
    for (int t = 0; t < BT; ++t) {
      const __mmask16 k = load_k((kr + t));
      #pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) p[t][c] = _mm512_mask_add_ps(p[t][c], k, p[t][c], x[c]);
    }
    if (Q) {
      __m512 o[DC];
      if (t0 == 0)
        #pragma GCC unroll 16
        for (int c = 0; c < DC; ++c) o[c] = _mm512_setzero_ps();
      else
        load_row<DC>(out + i * ldo, tail, o);
      const Mask* qr = qm + i * ms + t0;
      #pragma GCC unroll 16
      for (int t = 0; t < BT; ++t) {
        const __mmask16 k = load_k((qr + t));
        #pragma GCC unroll 16
        for (int c = 0; c < DC; ++c) o[c] = _mm512_mask_add_ps(o[c], k, o[c], p[t][c]);
      }
      store_row<DC>(out + i * ldo, tail, o);
    }
  }
  #pragma GCC unroll 16
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

// Q_i = the sum of one table row per nibble of q_i, held in registers, then
// finished as query_rows finishes: (alpha Q + beta_i V - gamma W + delta v_i) r_i.
template <int DC>
void table_sweep_dc(int64_t n, const float* U, int64_t ld, const uint64_t* codes, int words, int chunks,
                    __mmask16 tail, const float* beta, const float* rr, float alpha, float gamma, float delta,
                    const float* V, const float* W, const float* vself, int64_t ldvs, float* out, int64_t ldo) {
  __m512 vv[DC], ww[DC];
  load_row<DC>(V, tail, vv);
  load_row<DC>(W, tail, ww);
  const __m512 va = _mm512_set1_ps(alpha), vg = _mm512_set1_ps(gamma), vd = _mm512_set1_ps(delta);
  for (int64_t i = 0; i < n; ++i) {
    __m512 acc[DC];
#pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) acc[c] = _mm512_setzero_ps();
    const uint64_t* code = codes + i * words;
    for (int b = 0; b < chunks; ++b) {
      const float* row = U + (b * 16 + static_cast<int>((code[b >> 4] >> (4 * (b & 15))) & 0xF)) * ld;
#pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) acc[c] = _mm512_add_ps(acc[c], _mm512_loadu_ps(row + 16 * c));
    }
    const __m512 vb = _mm512_set1_ps(beta[i]), vr = _mm512_set1_ps(rr[i]);
    __m512 self[DC];
    if (vself) load_row<DC>(vself + i * ldvs, tail, self);
#pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) {
      __m512 x = _mm512_fmadd_ps(va, acc[c], _mm512_fnmadd_ps(vg, ww[c], _mm512_mul_ps(vb, vv[c])));
      if (vself) x = _mm512_fmadd_ps(vd, self[c], x);
      acc[c] = _mm512_mul_ps(x, vr);
    }
    store_row<DC>(out + i * ldo, tail, acc);
  }
}

void table_sweep(int64_t n, const float* U, int64_t ld, const uint64_t* codes, int words, int chunks, int64_t w,
                 const float* beta, const float* rr, float alpha, float gamma, float delta, const float* V,
                 const float* W, const float* vself, int64_t ldvs, float* out, int64_t ldo) {
  const int dc = static_cast<int>((w + 15) / 16);
  const __mmask16 tail = lanes16(w - 16 * (dc - 1));
  switch (dc) {
    case 1: table_sweep_dc<1>(n, U, ld, codes, words, chunks, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    case 2: table_sweep_dc<2>(n, U, ld, codes, words, chunks, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    case 3: table_sweep_dc<3>(n, U, ld, codes, words, chunks, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    default: table_sweep_dc<4>(n, U, ld, codes, words, chunks, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
  }
}

// Adds each key's value row to one bucket row per nibble of its code; the
// value stays in registers across the nibbles. Table rows are padded to the
// block width, so whole vectors are read and written.
template <int DC>
void bucket_keys_dc(float* U, int64_t ld, const uint64_t* codes, int words, int64_t n, int chunks,
                    const float* v, int64_t ldv, __mmask16 tail) {
  for (int64_t j = 0; j < n; ++j) {
    __m512 x[DC];
    load_row<DC>(v + j * ldv, tail, x);
    const uint64_t* code = codes + j * words;
    for (int b = 0; b < chunks; ++b) {
      float* row = U + (b * 16 + static_cast<int>((code[b / 16] >> (4 * (b % 16))) & 0xF)) * ld;
#pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) _mm512_storeu_ps(row + 16 * c, _mm512_add_ps(_mm512_loadu_ps(row + 16 * c), x[c]));
    }
  }
}

void bucket_keys(float* U, int64_t ld, const uint64_t* codes, int words, int64_t n, int chunks, const float* v,
                 int64_t ldv, int64_t w) {
  const int dc = static_cast<int>((w + 15) / 16);
  const __mmask16 tail = lanes16(w - 16 * (dc - 1));
  switch (dc) {
    case 1: bucket_keys_dc<1>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
    case 2: bucket_keys_dc<2>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
    case 3: bucket_keys_dc<3>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
    default: bucket_keys_dc<4>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
  }
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

void softmax_cols(float* st, int64_t ld, int64_t keys, int64_t queries, int64_t diag, float* m, float* l,
                  float* corr) {
  const __m512 ninf = _mm512_set1_ps(-__builtin_inff());
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t j = 0; j < queries; j += 16) {
    const __mmask16 cols = lanes16(queries - j);
    // Key p is allowed in lane q when p <= diag + j + q.
    const int64_t base = diag >= kNoCausal ? kNoCausal : diag + j;
    const int64_t all = base >= kNoCausal ? keys : (base + 1 < 0 ? 0 : base + 1 > keys ? keys : base + 1);
    auto allowed = [&](int64_t p) -> __mmask16 {
      if (p < all) return cols;
      const int64_t first = p - base;  // lanes >= first are allowed
      if (first >= 16) return 0;
      return cols & _mm512_cmpge_epi32_mask(lane, _mm512_set1_epi32(static_cast<int>(first)));
    };
    const __m512 m_old = _mm512_mask_loadu_ps(ninf, cols, m + j);
    __m512 mx = m_old;
    const int64_t last = base >= kNoCausal ? keys : (base + 16 < keys ? base + 16 : keys);
    for (int64_t p = 0; p < last; ++p) {
      const __mmask16 ok = allowed(p);
      mx = _mm512_mask_max_ps(mx, ok, mx, _mm512_maskz_loadu_ps(ok, st + p * ld + j));
    }
    const __mmask16 same = _mm512_cmp_ps_mask(mx, m_old, _CMP_EQ_OQ);
    const __m512 cr = _mm512_mask_mov_ps(exp512(_mm512_sub_ps(m_old, mx)), same, _mm512_set1_ps(1.0f));
    __m512 sum = _mm512_setzero_ps();
    for (int64_t p = 0; p < keys; ++p) {
      const __mmask16 ok = p < last ? allowed(p) : 0;
      const __m512 e = _mm512_maskz_mov_ps(ok, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(ok, st + p * ld + j), mx)));
      sum = _mm512_add_ps(sum, e);
      _mm512_mask_storeu_ps(st + p * ld + j, cols, e);
    }
    _mm512_mask_storeu_ps(corr + j, cols, cr);
    _mm512_mask_storeu_ps(l + j, cols, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(cols, l + j), cr, sum));
    _mm512_mask_storeu_ps(m + j, cols, mx);
  }
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

// R rows by C vectors of columns per block, accumulators in registers; the
// broadcasts of x come from memory (load ports), so the FMAs set the pace.
template <int R, int C>
void rows_block(const float* x, int64_t ldx, int rows, int64_t k, const float* b, int64_t n, int64_t j0,
                float* out, int64_t ldo) {
  __mmask16 lanes[C];
#pragma GCC unroll 16
  for (int c = 0; c < C; ++c) lanes[c] = lanes16(n - j0 - 16 * c);
  __m512 acc[R][C];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m512 bv[C];
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) bv[c] = _mm512_maskz_loadu_ps(lanes[c], b + p * n + j0 + 16 * c);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_set1_ps(x[(r < rows ? r : 0) * ldx + p]);
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(xv, bv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    if (r < rows)
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(out + r * ldo + j0 + 16 * c, lanes[c], acc[r][c]);
}

template <int R, int C>
void rows_times_rc(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int64_t n,
                   float* out, int64_t ldo) {
  for (int64_t j0 = 0; j0 < n; j0 += 16 * C)
    for (int64_t i = 0; i < rows; i += R)
      rows_block<R, C>(x + i * ldx, ldx, static_cast<int>(rows - i < R ? rows - i : R), k, b, n, j0,
                       out + i * ldo, ldo);
}

void rows_times(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int64_t n,
                float* out, int64_t ldo) {
  if (n <= 16)
    rows_times_rc<8, 1>(x, ldx, rows, k, b, n, out, ldo);
  else if (n <= 32)
    rows_times_rc<6, 2>(x, ldx, rows, k, b, n, out, ldo);
  else if (n <= 48)
    rows_times_rc<4, 3>(x, ldx, rows, k, b, n, out, ldo);
  else
    rows_times_rc<4, 4>(x, ldx, rows, k, b, n, out, ldo);
}

// As rows_block, but the projections become code bits in registers: compare
// with zero into a mask, which is the 16 bits themselves.
template <int R, int C>
bool sign_block(const float* x, int64_t ldx, int rows, int64_t k, const float* b, int bits, int64_t j0,
                uint64_t* codes, int words) {
  __mmask16 lanes[C];
#pragma GCC unroll 16
  for (int c = 0; c < C; ++c) lanes[c] = lanes16(bits - j0 - 16 * c);
  __m512 acc[R][C];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m512 bv[C];
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) bv[c] = _mm512_maskz_loadu_ps(lanes[c], b + p * bits + j0 + 16 * c);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_set1_ps(x[(r < rows ? r : 0) * ldx + p]);
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) acc[r][c] = _mm512_fmadd_ps(xv, bv[c], acc[r][c]);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
  __mmask16 bad = 0;
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    if (r < rows)
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) {
        const int64_t t = j0 + 16 * c;
        if (t >= bits) continue;
        const __mmask16 gt = _mm512_mask_cmp_ps_mask(lanes[c], acc[r][c], zero, _CMP_GT_OQ);
        bad |= _mm512_mask_fpclass_ps_mask(lanes[c], acc[r][c], 0x99);  // NaN or +-Inf
        codes[r * words + t / 64] |= static_cast<uint64_t>(gt) << (t % 64);
      }
  return bad != 0;
}

template <int R, int C>
int64_t rows_sign_rc(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int bits,
                     uint64_t* codes, int words) {
  int64_t first = -1;
  for (int64_t i = 0; i < rows; i += R) {
    const int n = static_cast<int>(rows - i < R ? rows - i : R);
    for (int64_t w = 0; w < n * words; ++w) codes[i * words + w] = 0;
    bool bad = false;
    for (int64_t j0 = 0; j0 < bits; j0 += 16 * C)
      bad |= sign_block<R, C>(x + i * ldx, ldx, n, k, b, bits, j0, codes + i * words, words);
    // Which row of the group: rescan it exactly (rare: only on bad input).
    if (bad && first < 0) {
      for (int r = 0; r < n && first < 0; ++r)
        for (int t = 0; t < bits && first < 0; ++t) {
          float s = 0.0f;
          for (int64_t p = 0; p < k; ++p) s += x[(i + r) * ldx + p] * b[p * bits + t];
          if (!(s - s == 0.0f)) first = i + r;
        }
      if (first < 0) first = i;
    }
  }
  return first;
}

int64_t rows_sign(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int bits,
                  uint64_t* codes, int words) {
  if (bits <= 16) return rows_sign_rc<8, 1>(x, ldx, rows, k, b, bits, codes, words);
  if (bits <= 32) return rows_sign_rc<6, 2>(x, ldx, rows, k, b, bits, codes, words);
  if (bits <= 48) return rows_sign_rc<4, 3>(x, ldx, rows, k, b, bits, codes, words);
  return rows_sign_rc<4, 4>(x, ldx, rows, k, b, bits, codes, words);
}

// 16 independent accumulators, so the adds' latency is hidden and only their
// throughput counts.
float masked_add_peak(int64_t iters) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 x = _mm512_set1_ps(1e-7f);
  __mmask16 k = 0xAAAA;
  asm volatile("" : "+k"(k));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_mask_add_ps(acc[i], k, acc[i], x);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
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
      softmax_cols,
      rows_times,
      rows_sign,
      masked_add_peak,
      16 * 16,
      rbf,
  };
  return k;
}

}  // namespace tensorfold
