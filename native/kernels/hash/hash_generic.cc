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
               int64_t w, float* P, int64_t ldp) {
  for (int64_t j = 0; j < n; ++j) {
    const float* x = v + j * ldv;
    for (int t = 0; t < bits; ++t) {
      const Mask m = km[j * ms + t];
      float* p = P + t * ldp;
      for (int64_t d = 0; d < w; ++d) p[d] += masked(x[d], m);
    }
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
    float* o = out + i * ldo;
    const float* self = vself ? vself + i * ldvs : nullptr;
    for (int64_t d = 0; d < w; ++d) {
      float x = alpha * acc[d] + (beta[i] * V[d] - gamma * W[d]);
      if (self) x += delta * self[d];
      o[d] = x * rr[i];
    }
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

void softmax_tile(float* s, int64_t lds, int64_t rows, int64_t cols, int64_t diag, float* m, float* l,
                  float* corr) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * lds;
    const int64_t lim = causal_limit(diag, r, cols);
    float mn = m[r];
    for (int64_t j = 0; j < lim; ++j) mn = row[j] > mn ? row[j] : mn;
    // A NaN score makes its row NaN, as in the reference.
    for (int64_t j = 0; j < lim; ++j)
      if (row[j] != row[j]) mn = row[j];
    const float cr = lim == 0 || mn == m[r] ? 1.0f : std::exp(m[r] - mn);
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; ++j) {
      const float e = j < lim ? std::exp(row[j] - mn) : 0.0f;
      row[j] = e;
      sum += e;
    }
    corr[r] = cr;
    l[r] = l[r] * cr + sum;
    m[r] = mn;
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

}  // namespace

const HashTierKernels& hash_kernels_generic() {
  static const HashTierKernels k = {
      "generic",
      kBlock,
      static_cast<int>(sizeof(Mask)),
      kMaskAlign,
      linear_head,
      {"generic-swar", hamming_tile, hamming_min, hamming_weights},
      softmax_tile,
      sign_pack,
      rbf,
  };
  return k;
}

}  // namespace tensorfold
