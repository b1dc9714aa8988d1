// AVX2 hash-attention kernels. Built with -mavx2 -mfma only; nothing here may
// run unless the CPU has them. Everything is internal except the kernel
// table, and no standard-library template is used, so no function compiled
// with these flags can be picked by the linker for another tier.
//
// Linear mode: an expanded mask is a 32-bit all-ones/zero word per (token,
// bit), broadcast from memory; a masked add is vandps + vaddps.
#include <immintrin.h>

#include "hash_kernels.h"

namespace tensorfold {
namespace {

using Mask = uint32_t;
constexpr int64_t kBlock = 32;     // value columns per call: 4 vectors
constexpr int64_t kMaskAlign = 8;  // one compare per 8 bits
constexpr int kBits = 2;           // bits per register block (16 ymm registers)

inline __m256i lanes8(int64_t n) {
  const int c = n >= 8 ? 8 : n <= 0 ? 0 : static_cast<int>(n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline float hsum(__m256 x) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t hmin_epi32(__m256i x) {
  __m128i s = _mm_min_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
  s = _mm_min_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_min_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// As the AVX-512 exp, with 2^n built in the exponent field (n <= 127).
inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.3762626f), _mm256_max_ps(_mm256_set1_ps(-87.33654f), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

inline int64_t causal_limit(int64_t diag, int64_t row, int64_t cols) {
  const int64_t l = diag + row + 1;
  return l < 0 ? 0 : l > cols ? cols : l;
}

void expand_masks(const uint64_t* codes, int64_t n, int words, int bits, int64_t ms, Mask* out) {
  const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const int groups = static_cast<int>(ms / 8);
  for (int64_t j = 0; j < n; ++j) {
    const uint64_t* c = codes + j * words;
    for (int g = 0; g < groups; ++g) {
      const int byte = static_cast<int>((c[g / 8] >> (8 * (g % 8))) & 0xFF);
      const __m256i m = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(byte), sel), sel);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j * ms + 8 * g), m);
    }
  }
}

inline __m256 bmask(const Mask* m) { return _mm256_broadcast_ss(reinterpret_cast<const float*>(m)); }

template <int DC>
inline void load_row(const float* p, __m256i tail, __m256 (&x)[DC]) {
  #pragma GCC unroll 16
  for (int c = 0; c < DC - 1; ++c) x[c] = _mm256_loadu_ps(p + 8 * c);
  x[DC - 1] = _mm256_maskload_ps(p + 8 * (DC - 1), tail);
}

template <int DC>
inline void store_row(float* p, __m256i tail, const __m256 (&x)[DC]) {
  #pragma GCC unroll 16
  for (int c = 0; c < DC - 1; ++c) _mm256_storeu_ps(p + 8 * c, x[c]);
  _mm256_maskstore_ps(p + 8 * (DC - 1), tail, x[DC - 1]);
}

template <int DC, int BT>
void key_block(int64_t n, const Mask* km, int64_t ms, int t0, const float* v, int64_t ldv,
               __m256i tail, float* P, int64_t ldp, float* V) {
  // V is summed in a pass of its own (registers are short here).
  if (V)
    for (int64_t j = 0; j < n; ++j) {
      __m256 x[DC], acc[DC];
      load_row<DC>(v + j * ldv, tail, x);
      load_row<DC>(V, tail, acc);
#pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) acc[c] = _mm256_add_ps(acc[c], x[c]);
      store_row<DC>(V, tail, acc);
    }
  __m256 acc[BT][DC];
  #pragma GCC unroll 16
  for (int t = 0; t < BT; ++t)
    #pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) acc[t][c] = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    __m256 x[DC];
    load_row<DC>(v + j * ldv, tail, x);
    const Mask* mr = km + j * ms + t0;
    #pragma GCC unroll 16
    for (int t = 0; t < BT; ++t) {
      const __m256 k = bmask(mr + t);
      #pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) acc[t][c] = _mm256_add_ps(acc[t][c], _mm256_and_ps(k, x[c]));
    }
  }
  #pragma GCC unroll 16
  for (int t = 0; t < BT; ++t)
    #pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) {
      float* p = P + (t0 + t) * ldp + 8 * c;
      _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), acc[t][c]));
    }
}

template <int DC>
void key_sweep_dc(int64_t n, int bits, const Mask* km, int64_t ms, const float* v, int64_t ldv,
                  __m256i tail, float* P, int64_t ldp, float* V) {
  int t0 = 0;
  for (; t0 + kBits <= bits; t0 += kBits) key_block<DC, kBits>(n, km, ms, t0, v, ldv, tail, P, ldp, t0 ? nullptr : V);
  if (t0 < bits) key_block<DC, 1>(n, km, ms, t0, v, ldv, tail, P, ldp, t0 ? nullptr : V);
}

void key_sweep(int64_t n, int bits, const Mask* km, int64_t ms, const float* v, int64_t ldv,
               int64_t w, float* P, int64_t ldp, float* V) {
  const int dc = static_cast<int>((w + 7) / 8);
  const __m256i tail = lanes8(w - 8 * (dc - 1));
  switch (dc) {
    case 1: key_sweep_dc<1>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
    case 2: key_sweep_dc<2>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
    case 3: key_sweep_dc<3>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
    default: key_sweep_dc<4>(n, bits, km, ms, v, ldv, tail, P, ldp, V); break;
  }
}

template <int DC, int R>
void query_rows(int bits, const Mask* qm, int64_t ms, const float* P, int64_t ldp, __m256i tail,
                const float* beta, const float* rr, float alpha, float gamma, float delta,
                const float* V, const float* W, const float* vself, int64_t ldvs, float* out,
                int64_t ldo) {
  __m256 acc[R][DC];
  #pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) acc[r][c] = _mm256_setzero_ps();
  for (int t = 0; t < bits; ++t) {
    __m256 p[DC];
    load_row<DC>(P + t * ldp, tail, p);
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m256 k = bmask(qm + r * ms + t);
      #pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) acc[r][c] = _mm256_add_ps(acc[r][c], _mm256_and_ps(k, p[c]));
    }
  }
  __m256 vv[DC], ww[DC];
  load_row<DC>(V, tail, vv);
  load_row<DC>(W, tail, ww);
  const __m256 va = _mm256_set1_ps(alpha), vg = _mm256_set1_ps(gamma), vd = _mm256_set1_ps(delta);
  #pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const __m256 vb = _mm256_set1_ps(beta[r]), vr = _mm256_set1_ps(rr[r]);
    __m256 o[DC], self[DC];
    if (vself) load_row<DC>(vself + r * ldvs, tail, self);
    #pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) {
      __m256 x = _mm256_fmadd_ps(va, acc[r][c], _mm256_fnmadd_ps(vg, ww[c], _mm256_mul_ps(vb, vv[c])));
      if (vself) x = _mm256_fmadd_ps(vd, self[c], x);
      o[c] = _mm256_mul_ps(x, vr);
    }
    store_row<DC>(out + r * ldo, tail, o);
  }
}

template <int DC>
void query_sweep_dc(int64_t n, int bits, const Mask* qm, int64_t ms, const float* P, int64_t ldp,
                    __m256i tail, const float* beta, const float* rr, float alpha, float gamma,
                    float delta, const float* V, const float* W, const float* vself, int64_t ldvs,
                    float* out, int64_t ldo) {
  int64_t i = 0;
  for (; i + 2 <= n; i += 2)
    query_rows<DC, 2>(bits, qm + i * ms, ms, P, ldp, tail, beta + i, rr + i, alpha, gamma, delta, V, W,
                      vself ? vself + i * ldvs : nullptr, ldvs, out + i * ldo, ldo);
  for (; i < n; ++i)
    query_rows<DC, 1>(bits, qm + i * ms, ms, P, ldp, tail, beta + i, rr + i, alpha, gamma, delta, V, W,
                      vself ? vself + i * ldvs : nullptr, ldvs, out + i * ldo, ldo);
}

void query_sweep(int64_t n, int bits, const Mask* qm, int64_t ms, const float* P, int64_t ldp,
                 int64_t w, const float* beta, const float* rr, float alpha, float gamma, float delta,
                 const float* V, const float* W, const float* vself, int64_t ldvs, float* out,
                 int64_t ldo) {
  const int dc = static_cast<int>((w + 7) / 8);
  const __m256i tail = lanes8(w - 8 * (dc - 1));
  switch (dc) {
    case 1: query_sweep_dc<1>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    case 2: query_sweep_dc<2>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    case 3: query_sweep_dc<3>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
    default: query_sweep_dc<4>(n, bits, qm, ms, P, ldp, tail, beta, rr, alpha, gamma, delta, V, W, vself, ldvs, out, ldo); break;
  }
}

template <int DC, int BT, bool Q>
void causal_block(int64_t n, const Mask* km, const Mask* qm, int64_t ms, int t0, const float* v,
                  int64_t ldv, __m256i tail, float* P, int64_t ldp, float* out, int64_t ldo) {
  __m256 p[BT][DC];
  #pragma GCC unroll 16
  for (int t = 0; t < BT; ++t) load_row<DC>(P + (t0 + t) * ldp, tail, p[t]);
  for (int64_t i = 0; i < n; ++i) {
    __m256 x[DC];
    load_row<DC>(v + i * ldv, tail, x);
    const Mask* kr = km + i * ms + t0;
    #pragma GCC unroll 16
    for (int t = 0; t < BT; ++t) {
      const __m256 k = bmask(kr + t);
      #pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) p[t][c] = _mm256_add_ps(p[t][c], _mm256_and_ps(k, x[c]));
    }
    if (Q) {
      __m256 o[DC];
      if (t0 == 0)
        #pragma GCC unroll 16
        for (int c = 0; c < DC; ++c) o[c] = _mm256_setzero_ps();
      else
        load_row<DC>(out + i * ldo, tail, o);
      const Mask* qr = qm + i * ms + t0;
      #pragma GCC unroll 16
      for (int t = 0; t < BT; ++t) {
        const __m256 k = bmask(qr + t);
        #pragma GCC unroll 16
        for (int c = 0; c < DC; ++c) o[c] = _mm256_add_ps(o[c], _mm256_and_ps(k, p[t][c]));
      }
      store_row<DC>(out + i * ldo, tail, o);
    }
  }
  #pragma GCC unroll 16
  for (int t = 0; t < BT; ++t) store_row<DC>(P + (t0 + t) * ldp, tail, p[t]);
}

template <int DC, bool Q>
void causal_sweep_dc(int64_t n, int bits, const Mask* km, const Mask* qm, int64_t ms,
                     const float* v, int64_t ldv, __m256i tail, float* P, int64_t ldp, float* out,
                     int64_t ldo) {
  int t0 = 0;
  for (; t0 + kBits <= bits; t0 += kBits)
    causal_block<DC, kBits, Q>(n, km, qm, ms, t0, v, ldv, tail, P, ldp, out, ldo);
  if (t0 < bits) causal_block<DC, 1, Q>(n, km, qm, ms, t0, v, ldv, tail, P, ldp, out, ldo);
}

template <bool Q>
void causal_sweep_q(int64_t n, int bits, const Mask* km, const Mask* qm, int64_t ms, const float* v,
                    int64_t ldv, int64_t w, float* P, int64_t ldp, float* out, int64_t ldo) {
  const int dc = static_cast<int>((w + 7) / 8);
  const __m256i tail = lanes8(w - 8 * (dc - 1));
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
                    __m256i tail, const float* beta, const float* rr, float alpha, float gamma, float delta,
                    const float* V, const float* W, const float* vself, int64_t ldvs, float* out, int64_t ldo) {
  __m256 vv[DC], ww[DC];
  load_row<DC>(V, tail, vv);
  load_row<DC>(W, tail, ww);
  const __m256 va = _mm256_set1_ps(alpha), vg = _mm256_set1_ps(gamma), vd = _mm256_set1_ps(delta);
  for (int64_t i = 0; i < n; ++i) {
    __m256 acc[DC];
#pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) acc[c] = _mm256_setzero_ps();
    const uint64_t* code = codes + i * words;
    for (int b = 0; b < chunks; ++b) {
      const float* row = U + (b * 16 + static_cast<int>((code[b >> 4] >> (4 * (b & 15))) & 0xF)) * ld;
#pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) acc[c] = _mm256_add_ps(acc[c], _mm256_loadu_ps(row + 8 * c));
    }
    const __m256 vb = _mm256_set1_ps(beta[i]), vr = _mm256_set1_ps(rr[i]);
    __m256 self[DC];
    if (vself) load_row<DC>(vself + i * ldvs, tail, self);
#pragma GCC unroll 16
    for (int c = 0; c < DC; ++c) {
      __m256 x = _mm256_fmadd_ps(va, acc[c], _mm256_fnmadd_ps(vg, ww[c], _mm256_mul_ps(vb, vv[c])));
      if (vself) x = _mm256_fmadd_ps(vd, self[c], x);
      acc[c] = _mm256_mul_ps(x, vr);
    }
    store_row<DC>(out + i * ldo, tail, acc);
  }
}

void table_sweep(int64_t n, const float* U, int64_t ld, const uint64_t* codes, int words, int chunks, int64_t w,
                 const float* beta, const float* rr, float alpha, float gamma, float delta, const float* V,
                 const float* W, const float* vself, int64_t ldvs, float* out, int64_t ldo) {
  const int dc = static_cast<int>((w + 7) / 8);
  const __m256i tail = lanes8(w - 8 * (dc - 1));
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
                    const float* v, int64_t ldv, __m256i tail) {
  for (int64_t j = 0; j < n; ++j) {
    __m256 x[DC];
    load_row<DC>(v + j * ldv, tail, x);
    const uint64_t* code = codes + j * words;
    for (int b = 0; b < chunks; ++b) {
      float* row = U + (b * 16 + static_cast<int>((code[b / 16] >> (4 * (b % 16))) & 0xF)) * ld;
#pragma GCC unroll 16
      for (int c = 0; c < DC; ++c) _mm256_storeu_ps(row + 8 * c, _mm256_add_ps(_mm256_loadu_ps(row + 8 * c), x[c]));
    }
  }
}

void bucket_keys(float* U, int64_t ld, const uint64_t* codes, int words, int64_t n, int chunks, const float* v,
                 int64_t ldv, int64_t w) {
  const int dc = static_cast<int>((w + 7) / 8);
  const __m256i tail = lanes8(w - 8 * (dc - 1));
  switch (dc) {
    case 1: bucket_keys_dc<1>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
    case 2: bucket_keys_dc<2>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
    case 3: bucket_keys_dc<3>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
    default: bucket_keys_dc<4>(U, ld, codes, words, n, chunks, v, ldv, tail); break;
  }
}

#include "hash_linear.inc"

// Popcount by nibble lookups (no popcount instruction is assumed): byte
// counts summed over planes, widened to 32-bit once per row.
inline __m256i bytecount(__m256i x) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1,
                                       2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nib = _mm256_set1_epi8(0x0F);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(x, nib)),
                         _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)));
}

inline __m256i widen(__m256i acc) {
  const __m256i m8 = _mm256_set1_epi32(0x00FF00FF);
  const __m256i s16 = _mm256_add_epi32(_mm256_and_si256(acc, m8), _mm256_and_si256(_mm256_srli_epi32(acc, 8), m8));
  return _mm256_add_epi32(_mm256_and_si256(s16, _mm256_set1_epi32(0xFFFF)), _mm256_srli_epi32(s16, 16));
}

constexpr int kRows = 4;

inline void dist_rows(const uint32_t* q, int64_t ldq, int rows, const uint32_t* kp, int64_t ldk,
                      int64_t j, __m256i lanes, int planes, __m256i (&d)[kRows]) {
  __m256i acc[kRows];
  #pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_si256();
  for (int p = 0; p < planes; ++p) {
    const __m256i k = _mm256_maskload_epi32(reinterpret_cast<const int*>(kp + p * ldk + j), lanes);
    #pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r)
      if (r < rows)
        acc[r] = _mm256_add_epi8(acc[r], bytecount(_mm256_xor_si256(_mm256_set1_epi32(static_cast<int>(q[r * ldq + p])), k)));
  }
  #pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) d[r] = widen(acc[r]);
}

void hamming_tile(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp, int64_t ldk,
                  int64_t nk, int planes, int32_t* dist, int64_t ldd) {
  for (int64_t i = 0; i < mq; i += kRows) {
    const int rows = mq - i < kRows ? static_cast<int>(mq - i) : kRows;
    for (int64_t j = 0; j < nk; j += 8) {
      const __m256i lanes = lanes8(nk - j);
      __m256i d[kRows];
      dist_rows(q + i * ldq, ldq, rows, kp, ldk, j, lanes, planes, d);
      for (int r = 0; r < rows; ++r)
        _mm256_maskstore_epi32(reinterpret_cast<int*>(dist + (i + r) * ldd + j), lanes, d[r]);
    }
  }
}

void hamming_min(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp, int64_t ldk,
                 int64_t nk, int planes, int64_t diag, int32_t* hmin) {
  for (int64_t i = 0; i < mq; i += kRows) {
    const int rows = mq - i < kRows ? static_cast<int>(mq - i) : kRows;
    int64_t lim[kRows], most = 0;
    __m256i best[kRows];
    #pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r) {
      lim[r] = r < rows ? causal_limit(diag, i + r, nk) : 0;
      most = lim[r] > most ? lim[r] : most;
      best[r] = _mm256_set1_epi32(0x7FFFFFFF);
    }
    for (int64_t j = 0; j < most; j += 8) {
      __m256i d[kRows];
      dist_rows(q + i * ldq, ldq, rows, kp, ldk, j, lanes8(most - j), planes, d);
      for (int r = 0; r < rows; ++r)
        best[r] = _mm256_blendv_epi8(best[r], _mm256_min_epi32(best[r], d[r]), lanes8(lim[r] - j));
    }
    for (int r = 0; r < rows; ++r) {
      const int32_t m = hmin_epi32(best[r]);
      if (m < hmin[i + r]) hmin[i + r] = m;
    }
  }
}

void hamming_weights(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp, int64_t ldk,
                     int64_t nk, int planes, int64_t diag, const int32_t* hmin, float c, float* w,
                     int64_t ldw, float* rowsum) {
  const __m256 vc = _mm256_set1_ps(c);
  for (int64_t i = 0; i < mq; i += kRows) {
    const int rows = mq - i < kRows ? static_cast<int>(mq - i) : kRows;
    int64_t lim[kRows];
    __m256 sum[kRows];
    #pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r) {
      lim[r] = r < rows ? causal_limit(diag, i + r, nk) : 0;
      sum[r] = _mm256_setzero_ps();
    }
    for (int64_t j = 0; j < nk; j += 8) {
      const __m256i lanes = lanes8(nk - j);
      __m256i d[kRows];
      dist_rows(q + i * ldq, ldq, rows, kp, ldk, j, lanes, planes, d);
      for (int r = 0; r < rows; ++r) {
        const __m256 u = _mm256_cvtepi32_ps(_mm256_sub_epi32(d[r], _mm256_set1_epi32(hmin[i + r])));
        const __m256 e = _mm256_and_ps(_mm256_castsi256_ps(lanes8(lim[r] - j)), exp256(_mm256_mul_ps(vc, u)));
        sum[r] = _mm256_add_ps(sum[r], e);
        _mm256_maskstore_ps(w + (i + r) * ldw + j, lanes, e);
      }
    }
    for (int r = 0; r < rows; ++r) rowsum[i + r] += hsum(sum[r]);
  }
}

void softmax_cols(float* st, int64_t ld, int64_t keys, int64_t queries, int64_t diag, float* m, float* l,
                  float* corr) {
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t j = 0; j < queries; j += 8) {
    const __m256i cols = lanes8(queries - j);
    const int64_t base = diag >= kNoCausal ? kNoCausal : diag + j;
    const int64_t all = base >= kNoCausal ? keys : (base + 1 < 0 ? 0 : base + 1 > keys ? keys : base + 1);
    // Key p is allowed in lane q when p <= base + q.
    auto allowed = [&](int64_t p) -> __m256i {
      if (p < all) return cols;
      const int64_t first = p - base;
      if (first >= 8) return _mm256_setzero_si256();
      return _mm256_and_si256(cols, _mm256_cmpgt_epi32(lane, _mm256_set1_epi32(static_cast<int>(first) - 1)));
    };
    const __m256 m_old = _mm256_blendv_ps(ninf, _mm256_maskload_ps(m + j, cols), _mm256_castsi256_ps(cols));
    __m256 mx = m_old;
    const int64_t last = base >= kNoCausal ? keys : (base + 8 < keys ? base + 8 : keys);
    for (int64_t p = 0; p < last; ++p) {
      const __m256i ok = allowed(p);
      mx = _mm256_blendv_ps(mx, _mm256_max_ps(mx, _mm256_maskload_ps(st + p * ld + j, ok)), _mm256_castsi256_ps(ok));
    }
    const __m256 same = _mm256_cmp_ps(mx, m_old, _CMP_EQ_OQ);
    const __m256 cr = _mm256_blendv_ps(exp256(_mm256_sub_ps(m_old, mx)), _mm256_set1_ps(1.0f), same);
    __m256 sum = _mm256_setzero_ps();
    for (int64_t p = 0; p < keys; ++p) {
      const __m256i ok = p < last ? allowed(p) : _mm256_setzero_si256();
      const __m256 e = _mm256_and_ps(_mm256_castsi256_ps(ok), exp256(_mm256_sub_ps(_mm256_maskload_ps(st + p * ld + j, ok), mx)));
      sum = _mm256_add_ps(sum, e);
      _mm256_maskstore_ps(st + p * ld + j, cols, e);
    }
    _mm256_maskstore_ps(corr + j, cols, cr);
    _mm256_maskstore_ps(l + j, cols, _mm256_fmadd_ps(_mm256_maskload_ps(l + j, cols), cr, sum));
    _mm256_maskstore_ps(m + j, cols, mx);
  }
}

int64_t sign_pack(const float* proj, int64_t ldp, int64_t rows, int bits, uint64_t* codes, int words) {
  int64_t bad = -1;
  const __m256 zero = _mm256_setzero_ps();
  const __m256i expo = _mm256_set1_epi32(0x7F800000);
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = proj + i * ldp;
    uint64_t* c = codes + i * words;
    for (int w = 0; w < words; ++w) c[w] = 0;
    int nonfinite = 0;
    for (int t = 0; t < bits; t += 8) {
      const __m256i lanes = lanes8(bits - t);
      const __m256 x = _mm256_maskload_ps(row + t, lanes);
      const int gt = _mm256_movemask_ps(_mm256_cmp_ps(x, zero, _CMP_GT_OQ));
      const __m256i e = _mm256_and_si256(_mm256_castps_si256(x), expo);
      nonfinite |= _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(e, expo)));
      c[t / 64] |= static_cast<uint64_t>(gt) << (t % 64);
    }
    if (nonfinite && bad < 0) bad = i;
  }
  return bad;
}

void rbf(float* g, int64_t ldg, int64_t rows, int64_t m, const float* xa, const float* xb,
         const float* cn, float gamma, const float* mean) {
  const __m256 ng = _mm256_set1_ps(-gamma), zero = _mm256_setzero_ps();
  for (int64_t i = 0; i < rows; ++i) {
    float* row = g + i * ldg;
    const __m256 a = _mm256_set1_ps(xa[i]), b = _mm256_set1_ps(xb[i]);
    for (int64_t j = 0; j < m; j += 8) {
      const __m256i lanes = lanes8(m - j);
      __m256 d2 = _mm256_fmadd_ps(b, _mm256_maskload_ps(row + j, lanes),
                                  _mm256_add_ps(a, _mm256_maskload_ps(cn + j, lanes)));
      d2 = _mm256_max_ps(zero, d2);
      const __m256 phi = _mm256_sub_ps(exp256(_mm256_mul_ps(ng, d2)), _mm256_maskload_ps(mean + j, lanes));
      _mm256_maskstore_ps(row + j, lanes, phi);
    }
  }
}

// R rows by C vectors of columns per block (16 ymm registers hold R * C
// accumulators, C columns of b and a broadcast).
template <int R, int C>
void rows_block(const float* x, int64_t ldx, int rows, int64_t k, const float* b, int64_t n, int64_t j0,
                float* out, int64_t ldo) {
  __m256i lanes[C];
#pragma GCC unroll 16
  for (int c = 0; c < C; ++c) lanes[c] = lanes8(n - j0 - 8 * c);
  __m256 acc[R][C];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m256 bv[C];
#pragma GCC unroll 16
    for (int c = 0; c < C; ++c) bv[c] = _mm256_maskload_ps(b + p * n + j0 + 8 * c, lanes[c]);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m256 xv = _mm256_broadcast_ss(x + (r < rows ? r : 0) * ldx + p);
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) acc[r][c] = _mm256_fmadd_ps(xv, bv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
    if (r < rows)
#pragma GCC unroll 16
      for (int c = 0; c < C; ++c) _mm256_maskstore_ps(out + r * ldo + j0 + 8 * c, lanes[c], acc[r][c]);
}

void rows_times(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int64_t n,
                float* out, int64_t ldo) {
  for (int64_t j0 = 0; j0 < n; j0 += 16)
    for (int64_t i = 0; i < rows; i += 4)
      rows_block<4, 2>(x + i * ldx, ldx, static_cast<int>(rows - i < 4 ? rows - i : 4), k, b, n, j0,
                       out + i * ldo, ldo);
}

// Projections of a few rows into a stack buffer, then their signs.
int64_t rows_sign(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int bits,
                  uint64_t* codes, int words) {
  constexpr int kGroup = 4;
  float proj[kGroup * 256];
  int64_t first = -1;
  for (int64_t i = 0; i < rows; i += kGroup) {
    const int64_t n = rows - i < kGroup ? rows - i : kGroup;
    rows_times(x + i * ldx, ldx, n, k, b, bits, proj, bits);
    const int64_t bad = sign_pack(proj, bits, n, bits, codes + i * words, words);
    if (bad >= 0 && first < 0) first = i + bad;
  }
  return first;
}

float masked_add_peak(int64_t iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  __m256 x = _mm256_castsi256_ps(_mm256_setr_epi32(0x33D6BF95, 0, 0x33D6BF95, 0, 0x33D6BF95, 0, 0x33D6BF95, 0));
  __m256 m = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
  asm volatile("" : "+x"(m));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_add_ps(acc[i], _mm256_and_ps(m, x));
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  return hsum(s);
}

}  // namespace

const HashTierKernels& hash_kernels_avx2() {
  static const HashTierKernels k = {
      "avx2",
      kBlock,
      static_cast<int>(sizeof(Mask)),
      kMaskAlign,
      linear_head,
      {"avx2-pshufb", hamming_tile, hamming_min, hamming_weights},
      softmax_cols,
      rows_times,
      rows_sign,
      masked_add_peak,
      12 * 8,
      rbf,
  };
  return k;
}

}  // namespace tensorfold
