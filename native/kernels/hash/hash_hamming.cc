// Hamming-softmax attention: the driver. Per block of queries, a first pass
// finds each row's least distance (the softmax max, known exactly because
// scores are integers), a second turns distances into weights tile by tile
// and multiplies them into V on the GEMM kernels. With topk, each row keeps
// its k nearest keys, found by a histogram of the (at most bits + 1) distances.
#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "hash_attention.h"
#include "hash_dispatch.h"

namespace tensorfold {
namespace {

constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 512;
constexpr int64_t kTopkRows = 16;

int planes_of(int bits) { return (bits + 31) / 32; }

}  // namespace

// Key codes as planes: kp[u][p][j] = 32-bit word p of key j of unit u.
std::vector<uint32_t> hamming_key_planes(int64_t units, int64_t nk, int bits, const uint64_t* kcodes) {
  const int words = hash_words(bits), planes = planes_of(bits);
  std::vector<uint32_t> kp(static_cast<size_t>(units * planes * nk));
  for (int64_t u = 0; u < units; ++u)
    for (int64_t j = 0; j < nk; ++j) {
      const uint64_t* c = kcodes + (u * nk + j) * words;
      for (int p = 0; p < planes; ++p)
        kp[(u * planes + p) * nk + j] = static_cast<uint32_t>(c[p / 2] >> (32 * (p % 2)));
    }
  return kp;
}

namespace {

// Query code rows read as 32-bit words (little-endian: word 2w is the low half).
const uint32_t* query_words(const uint64_t* codes) { return reinterpret_cast<const uint32_t*>(codes); }

void dense_block(IsaTier tier, const HammingKernels& hk, const HammingAttentionArgs& a, const uint32_t* kp,
                 int64_t head, int64_t i0, int64_t qb) {
  const int words = hash_words(a.bits), planes = planes_of(a.bits);
  const int64_t b = head / a.heads, h = head % a.heads;
  const uint32_t* q = query_words(a.qcodes + (head * a.nq + i0) * words);
  const int64_t ldq = 2 * words;
  const uint32_t* kpu = kp + head * planes * a.nk;
  const int64_t nkeys = a.causal ? std::min(a.nk, i0 + qb) : a.nk;
  float* out = a.out + b * a.lo.batch + h * a.lo.head + i0 * a.lo.token;
  const float* v = a.v + b * a.lv.batch + h * a.lv.head;

  static thread_local AlignedBuffer buf;
  float* w = buf.floats(static_cast<size_t>(kQueryBlock * kKeyBlock + 2 * kQueryBlock));
  float* rowsum = w + kQueryBlock * kKeyBlock;
  int32_t* hmin = reinterpret_cast<int32_t*>(rowsum + kQueryBlock);
  for (int64_t i = 0; i < qb; ++i) {
    hmin[i] = INT_MAX;
    rowsum[i] = 0.0f;
  }
  hk.min(q, ldq, qb, kpu, a.nk, nkeys, planes, a.causal ? i0 : kNoCausal, hmin);
  const float c = -2.0f * a.scale;
  for (int64_t j0 = 0; j0 < nkeys; j0 += kKeyBlock) {
    const int64_t kb = std::min(kKeyBlock, nkeys - j0);
    hk.weights(q, ldq, qb, kpu + j0, a.nk, kb, planes, a.causal ? i0 - j0 : kNoCausal, hmin, c, w,
               kKeyBlock, rowsum);
    accumulate_pv(tier, w, kKeyBlock, qb, kb, a.causal ? i0 - j0 : kNoCausal, v + j0 * a.lv.token, a.lv.token,
                  a.dim, out, a.lo.token, j0 > 0);
  }
  for (int64_t i = 0; i < qb; ++i) {
    float* o = out + i * a.lo.token;
    const float r = rowsum[i] > 0.0f ? 1.0f / rowsum[i] : 0.0f;
    for (int64_t d = 0; d < a.dim; ++d) o[d] = nkeys > 0 ? o[d] * r : 0.0f;
  }
}

void topk_block(const HammingKernels& hk, const HammingAttentionArgs& a, const uint32_t* kp,
                int64_t head, int64_t i0, int64_t qb) {
  const int words = hash_words(a.bits), planes = planes_of(a.bits);
  const int64_t b = head / a.heads, h = head % a.heads;
  const uint32_t* q = query_words(a.qcodes + (head * a.nq + i0) * words);
  const uint32_t* kpu = kp + head * planes * a.nk;
  const float* v = a.v + b * a.lv.batch + h * a.lv.head;

  static thread_local AlignedBuffer buf;
  float* acc = buf.floats(static_cast<size_t>(a.dim + (a.bits + 1) * 2 + kTopkRows * a.nk + 64));
  float* lut = acc + a.dim;
  int32_t* hist = reinterpret_cast<int32_t*>(lut + a.bits + 1);
  int32_t* dist = hist + a.bits + 1;
  hk.tile(q, 2 * words, qb, kpu, a.nk, a.nk, planes, dist, a.nk);
  const float c = -2.0f * a.scale;
  for (int u = 0; u <= a.bits; ++u) lut[u] = std::exp(c * static_cast<float>(u));
  for (int64_t i = 0; i < qb; ++i) {
    const int32_t* d = dist + i * a.nk;
    const int64_t lim = a.causal ? std::min(a.nk, i0 + i + 1) : a.nk;
    for (int u = 0; u <= a.bits; ++u) hist[u] = 0;
    for (int64_t j = 0; j < lim; ++j) ++hist[d[j]];
    // Distances below tau are all kept; of those at tau, the first `at_tau`.
    int tau = 0, hmin = -1;
    int64_t before = 0, at_tau = 0;
    for (; tau <= a.bits; ++tau) {
      if (hist[tau] && hmin < 0) hmin = tau;
      if (before + hist[tau] >= a.topk) break;
      before += hist[tau];
    }
    at_tau = a.topk - before;
    for (int64_t e = 0; e < a.dim; ++e) acc[e] = 0.0f;
    float sum = 0.0f;
    for (int64_t j = 0; j < lim; ++j) {
      if (d[j] > tau || (d[j] == tau && at_tau-- <= 0)) continue;
      const float wt = lut[d[j] - hmin];
      const float* vj = v + j * a.lv.token;
      for (int64_t e = 0; e < a.dim; ++e) acc[e] += wt * vj[e];
      sum += wt;
    }
    float* o = a.out + b * a.lo.batch + h * a.lo.head + (i0 + i) * a.lo.token;
    const float r = sum > 0.0f ? 1.0f / sum : 0.0f;
    for (int64_t e = 0; e < a.dim; ++e) o[e] = acc[e] * r;
  }
}

}  // namespace

void hamming_attention_on_tier(IsaTier tier, const HammingAttentionArgs& a, int max_threads) {
  const int64_t bh = a.batch * a.heads;
  if (bh <= 0 || a.nq <= 0 || a.dim <= 0) return;
  const HammingKernels& hk = hamming_kernels_for(tier, a.portable_popcount);
  const std::vector<uint32_t> kp = hamming_key_planes(bh, a.nk, a.bits, a.kcodes);
  const bool topk = a.topk > 0 && a.topk < a.nk;
  const int64_t qbs = topk ? kTopkRows : kQueryBlock;
  const int64_t blocks = (a.nq + qbs - 1) / qbs;
  const int64_t units = bh * blocks;
  const double work = static_cast<double>(bh) * a.nq * a.nk * (a.dim + a.bits / 8.0);
  const int nt = hash_threads(max_threads, units, work);
  // Round-robin, so the long rows of a causal product spread over threads.
  parallel_run(nt, [&](int t, int n) {
    for (int64_t u = t; u < units; u += n) {
      const int64_t head = u / blocks, i0 = (u % blocks) * qbs;
      const int64_t qb = std::min(qbs, a.nq - i0);
      if (topk)
        topk_block(hk, a, kp.data(), head, i0, qb);
      else
        dense_block(tier, hk, a, kp.data(), head, i0, qb);
    }
  });
}

void hamming_attention(const HammingAttentionArgs& a, int max_threads) {
  hamming_attention_on_tier(active_tier(), a, max_threads);
}

void hamming_distances(IsaTier tier, int64_t units, int64_t nq, int64_t nk, int bits,
                       const uint64_t* qcodes, const uint64_t* kcodes, int32_t* dist,
                       bool portable_popcount, int max_threads) {
  if (units <= 0 || nq <= 0 || nk <= 0) return;
  const HammingKernels& hk = hamming_kernels_for(tier, portable_popcount);
  const std::vector<uint32_t> kp = hamming_key_planes(units, nk, bits, kcodes);
  const int words = hash_words(bits), planes = planes_of(bits);
  const int64_t blocks = (nq + kQueryBlock - 1) / kQueryBlock;
  const int nt = hash_threads(max_threads, units * blocks, static_cast<double>(units) * nq * nk);
  parallel_for(units * blocks, nt, [&](int64_t u0, int64_t u1) {
    for (int64_t x = u0; x < u1; ++x) {
      const int64_t u = x / blocks, i0 = (x % blocks) * kQueryBlock;
      hk.tile(query_words(qcodes + (u * nq + i0) * words), 2 * words, std::min(kQueryBlock, nq - i0),
              kp.data() + u * planes * nk, nk, nk, planes, dist + (u * nq + i0) * nk, nk);
    }
  });
}

}  // namespace tensorfold
