// Generic (any x86-64) hash-attention kernels: plain loops the compiler
// vectorises with SSE2 at most, and a bit-twiddling popcount, since the
// baseline ISA has no popcount instruction.
#include <cmath>
#include <cstring>

#include "hash_kernels.h"

namespace tensorfold {
namespace {

using Mask = uint32_t;
constexpr int64_t kBlock = 64;
constexpr int64_t kMaskAlign = 1;

inline float masked(float x, Mask m) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u &= m;
  std::memcpy(&x, &u, 4);
  return x;
}

inline int64_t causal_limit(int64_t diag, int64_t row, int64_t cols) {
  const int64_t l = diag + row + 1;
  return l < 0 ? 0 : l > cols ? cols : l;
}

void expand_masks(const uint64_t* codes, int64_t n, int words, int bits, int64_t ms, Mask* out) {
  for (int64_t j = 0; j < n; ++j)
    for (int t = 0; t < bits; ++t)
      out[j * ms + t] = 0u - static_cast<Mask>((codes[j * words + t / 64] >> (t % 64)) & 1u);
}

void key_sweep(int64_t n, int bits, const Mask* km, int64_t ms, const float* v, int64_t ldv,
               int64_t w, float* P, int64_t ldp, float* V) {
  for (int64_t j = 0; j < n; ++j) {
    const float* x = v + j * ldv;
    for (int64_t d = 0; d < w; ++d) V[d] += x[d];
    for (int t = 0; t < bits; ++t) {
      const Mask m = km[j * ms + t];
      float* p = P + t * ldp;
      for (int64_t d = 0; d < w; ++d) p[d] += masked(x[d], m);
    }
  }
}

// out = (alpha acc + beta V - gamma W + delta self) r, self only for EcoFormer's form.
inline void finish(float* o, const float* acc, int64_t w, float alpha, float beta, float gamma, float delta,
                   float r, const float* V, const float* W, const float* self) {
  for (int64_t d = 0; d < w; ++d) {
    float x = alpha * acc[d] + (beta * V[d] - gamma * W[d]);
    if (self) x += delta * self[d];
    o[d] = x * r;
  }
}

void query_sweep(int64_t n, int bits, const Mask* qm, int64_t ms, const float* P, int64_t ldp,
                 int64_t w, const float* beta, const float* rr, float alpha, float gamma, float delta,
                 const float* V, const float* W, const float* vself, int64_t ldvs, float* out,
                 int64_t ldo) {
  float acc[kBlock];
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < w; ++d) acc[d] = 0.0f;
    for (int t = 0; t < bits; ++t) {
      const Mask m = qm[i * ms + t];
      const float* p = P + t * ldp;
      for (int64_t d = 0; d < w; ++d) acc[d] += masked(p[d], m);
    }
    finish(out + i * ldo, acc, w, alpha, beta[i], gamma, delta, rr[i], V, W, vself ? vself + i * ldvs : nullptr);
  }
}

void causal_sweep(int64_t n, int bits, const Mask* km, const Mask* qm, int64_t ms, const float* v,
                  int64_t ldv, int64_t w, float* P, int64_t ldp, float* out, int64_t ldo) {
  for (int64_t i = 0; i < n; ++i) {
    const float* x = v + i * ldv;
    float* o = qm ? out + i * ldo : nullptr;
    if (o)
      for (int64_t d = 0; d < w; ++d) o[d] = 0.0f;
    for (int t = 0; t < bits; ++t) {
      const Mask m = km[i * ms + t];
      float* p = P + t * ldp;
      for (int64_t d = 0; d < w; ++d) p[d] += masked(x[d], m);
      if (!o) continue;
      const Mask mq = qm[i * ms + t];
      for (int64_t d = 0; d < w; ++d) o[d] += masked(p[d], mq);
    }
  }
}

void table_sweep(int64_t n, const float* U, int64_t ld, const uint64_t* codes, int words, int chunks, int64_t w,
                 const float* beta, const float* rr, float alpha, float gamma, float delta, const float* V,
                 const float* W, const float* vself, int64_t ldvs, float* out, int64_t ldo) {
  float acc[kBlock];
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < w; ++d) acc[d] = 0.0f;
    const uint64_t* code = codes + i * words;
    for (int b = 0; b < chunks; ++b) {
      const float* row = U + (b * 16 + static_cast<int>((code[b >> 4] >> (4 * (b & 15))) & 0xF)) * ld;
      for (int64_t d = 0; d < w; ++d) acc[d] += row[d];
    }
    finish(out + i * ldo, acc, w, alpha, beta[i], gamma, delta, rr[i], V, W, vself ? vself + i * ldvs : nullptr);
  }
}

void bucket_keys(float* U, int64_t ld, const uint64_t* codes, int words, int64_t n, int chunks, const float* v,
                 int64_t ldv, int64_t w) {
  for (int64_t j = 0; j < n; ++j) {
    const uint64_t* code = codes + j * words;
    const float* vj = v + j * ldv;
    for (int b = 0; b < chunks; ++b) {
      float* row = U + (b * 16 + static_cast<int>((code[b / 16] >> (4 * (b % 16))) & 0xF)) * ld;
      for (int64_t d = 0; d < w; ++d) row[d] += vj[d];
    }
  }
}

#include "hash_linear.inc"

inline int pop32(uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0Fu;
  return static_cast<int>((x * 0x01010101u) >> 24);
}

inline int32_t dist(const uint32_t* q, const uint32_t* kp, int64_t ldk, int64_t j, int planes) {
  int32_t s = 0;
  for (int p = 0; p < planes; ++p) s += pop32(q[p] ^ kp[p * ldk + j]);
  return s;
}

void hamming_tile(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp, int64_t ldk,
                  int64_t nk, int planes, int32_t* d, int64_t ldd) {
  for (int64_t i = 0; i < mq; ++i)
    for (int64_t j = 0; j < nk; ++j) d[i * ldd + j] = dist(q + i * ldq, kp, ldk, j, planes);
}

void hamming_min(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp, int64_t ldk,
                 int64_t nk, int planes, int64_t diag, int32_t* hmin) {
  for (int64_t i = 0; i < mq; ++i) {
    const int64_t lim = causal_limit(diag, i, nk);
    for (int64_t j = 0; j < lim; ++j) {
      const int32_t x = dist(q + i * ldq, kp, ldk, j, planes);
      if (x < hmin[i]) hmin[i] = x;
    }
  }
}

void hamming_weights(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp, int64_t ldk,
                     int64_t nk, int planes, int64_t diag, const int32_t* hmin, float c, float* w,
                     int64_t ldw, float* rowsum) {
  for (int64_t i = 0; i < mq; ++i) {
    const int64_t lim = causal_limit(diag, i, nk);
    float s = 0.0f;
    for (int64_t j = 0; j < nk; ++j) {
      float e = 0.0f;
      if (j < lim) e = std::exp(c * static_cast<float>(dist(q + i * ldq, kp, ldk, j, planes) - hmin[i]));
      w[i * ldw + j] = e;
      s += e;
    }
    rowsum[i] += s;
  }
}

void softmax_cols(float* st, int64_t ld, int64_t keys, int64_t queries, int64_t diag, float* m, float* l,
                  float* corr) {
  for (int64_t j = 0; j < queries; ++j) {
    const int64_t lim = causal_limit(diag, j, keys);
    float mn = m[j];
    bool nan = false;
    for (int64_t p = 0; p < lim; ++p) {
      const float x = st[p * ld + j];
      mn = x > mn ? x : mn;
      nan |= x != x;
    }
    // A NaN score makes its column NaN, as in the reference.
    if (nan) mn = __builtin_nanf("");
    const float cr = mn == m[j] ? 1.0f : std::exp(m[j] - mn);
    float sum = 0.0f;
    for (int64_t p = 0; p < keys; ++p) {
      const float e = p < lim ? std::exp(st[p * ld + j] - mn) : 0.0f;
      st[p * ld + j] = e;
      sum += e;
    }
    corr[j] = cr;
    l[j] = l[j] * cr + sum;
    m[j] = lim > 0 ? mn : m[j];
  }
}

int64_t sign_pack(const float* proj, int64_t ldp, int64_t rows, int bits, uint64_t* codes, int words) {
  int64_t bad = -1;
  for (int64_t i = 0; i < rows; ++i) {
    const float* row = proj + i * ldp;
    uint64_t* c = codes + i * words;
    for (int w = 0; w < words; ++w) c[w] = 0;
    bool nonfinite = false;
    for (int t = 0; t < bits; ++t) {
      if (row[t] > 0.0f) c[t / 64] |= uint64_t{1} << (t % 64);
      nonfinite |= !std::isfinite(row[t]);
    }
    if (nonfinite && bad < 0) bad = i;
  }
  return bad;
}

void rbf(float* g, int64_t ldg, int64_t rows, int64_t m, const float* xa, const float* xb,
         const float* cn, float gamma, const float* mean) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = g + i * ldg;
    for (int64_t a = 0; a < m; ++a) {
      float d2 = xa[i] + cn[a] + xb[i] * row[a];
      d2 = d2 > 0.0f ? d2 : (d2 != d2 ? d2 : 0.0f);
      row[a] = std::exp(-gamma * d2) - mean[a];
    }
  }
}

void rows_times(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int64_t n,
                float* out, int64_t ldo) {
  for (int64_t i = 0; i < rows; ++i) {
    float* o = out + i * ldo;
    for (int64_t j = 0; j < n; ++j) o[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      const float xp = x[i * ldx + p];
      const float* bp = b + p * n;
      for (int64_t j = 0; j < n; ++j) o[j] += xp * bp[j];
    }
  }
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
  float acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = static_cast<float>(i);
  Mask m = 0xFFFFFFFFu;
  asm volatile("" : "+r"(m));
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 16; ++i) acc[i] += masked(1e-7f, m);
  float s = 0;
  for (int i = 0; i < 16; ++i) s += acc[i];
  return s;
}

}  // namespace

const HashTierKernels& hash_kernels_generic() {
  static const HashTierKernels k = {
      "generic",
      kBlock,
      static_cast<int>(sizeof(Mask)),
      kMaskAlign,
      linear_head,
      {"generic-swar", hamming_tile, hamming_min, hamming_weights},
      softmax_cols,
      rows_times,
      rows_sign,
      masked_add_peak,
      16,
      rbf,
  };
  return k;
}

}  // namespace tensorfold
