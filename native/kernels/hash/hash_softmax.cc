// Exact softmax attention, blocked with an online softmax (flash-attention
// style): per block of queries, each block of keys gives a score tile S = scale
// Q K^T on the GEMM kernels, the tier's softmax_tile turns it into
// probabilities against the running row max (rescaling what was accumulated
// when the max grows), and a second GEMM adds S V into the output rows.
#include <algorithm>
#include <cmath>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "hash_attention.h"
#include "hash_dispatch.h"

namespace tensorfold {
namespace {

constexpr int64_t kQueryBlock = 64;
constexpr int64_t kKeyBlock = 256;

void softmax_block(IsaTier tier, const HashTierKernels& k, const SoftmaxAttentionArgs& a, int64_t head, int64_t i0,
                   int64_t qb) {
  const int64_t b = head / a.heads, h = head % a.heads;
  const float* q = a.q + b * a.lq.batch + h * a.lq.head + i0 * a.lq.token;
  const float* kk = a.k + b * a.lk.batch + h * a.lk.head;
  const float* v = a.v + b * a.lv.batch + h * a.lv.head;
  float* out = a.out + b * a.lo.batch + h * a.lo.head + i0 * a.lo.token;
  const int64_t nkeys = a.causal ? std::min(a.nk, i0 + qb) : a.nk;

  static thread_local AlignedBuffer buf;
  float* s = buf.floats(static_cast<size_t>(kQueryBlock * kKeyBlock + 3 * kQueryBlock));
  float* m = s + kQueryBlock * kKeyBlock;
  float* l = m + kQueryBlock;
  float* corr = l + kQueryBlock;
  for (int64_t i = 0; i < qb; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
  }
  for (int64_t j0 = 0; j0 < nkeys; j0 += kKeyBlock) {
    const int64_t kb = std::min(kKeyBlock, nkeys - j0);
    GemmArgs g;
    g.m = qb;
    g.n = kb;
    g.k = a.dim;
    g.a = q;
    g.rs_a = a.lq.token;
    g.cs_a = 1;
    g.b = kk + j0 * a.lk.token;  // B[p][j] = K[j0 + j][p]
    g.rs_b = 1;
    g.cs_b = a.lk.token;
    g.c = s;
    g.rs_c = kKeyBlock;
    g.alpha = a.scale;
    sgemm_on_tier(tier, g, GemmBatch{}, 1);
    k.softmax_tile(s, kKeyBlock, qb, kb, a.causal ? i0 - j0 : kNoCausal, m, l, corr);
    if (j0 > 0)
      for (int64_t i = 0; i < qb; ++i) {
        if (corr[i] == 1.0f) continue;
        float* o = out + i * a.lo.token;
        for (int64_t d = 0; d < a.dim_v; ++d) o[d] *= corr[i];
      }
    GemmArgs pv;
    pv.m = qb;
    pv.n = a.dim_v;
    pv.k = kb;
    pv.a = s;
    pv.rs_a = kKeyBlock;
    pv.cs_a = 1;
    pv.b = v + j0 * a.lv.token;
    pv.rs_b = a.lv.token;
    pv.cs_b = 1;
    pv.c = out;
    pv.rs_c = a.lo.token;
    pv.beta = j0 == 0 ? 0.0f : 1.0f;
    sgemm_on_tier(tier, pv, GemmBatch{}, 1);
  }
  for (int64_t i = 0; i < qb; ++i) {
    float* o = out + i * a.lo.token;
    const float r = 1.0f / l[i];
    for (int64_t d = 0; d < a.dim_v; ++d) o[d] = nkeys > 0 ? o[d] * r : 0.0f;
  }
}

}  // namespace

void softmax_attention_on_tier(IsaTier tier, const SoftmaxAttentionArgs& a, int max_threads) {
  const int64_t bh = a.batch * a.heads;
  if (bh <= 0 || a.nq <= 0 || a.dim_v <= 0) return;
  const HashTierKernels& k = hash_kernels_for(tier);
  const int64_t blocks = (a.nq + kQueryBlock - 1) / kQueryBlock;
  const int64_t units = bh * blocks;
  const double work = static_cast<double>(bh) * a.nq * a.nk * (a.dim + a.dim_v);
  const int nt = hash_threads(max_threads, units, work);
  // Round-robin, so the long rows of a causal product spread over threads.
  parallel_run(nt, [&](int t, int n) {
    for (int64_t u = t; u < units; u += n) {
      const int64_t i0 = (u % blocks) * kQueryBlock;
      softmax_block(tier, k, a, u / blocks, i0, std::min(kQueryBlock, a.nq - i0));
    }
  });
}

void softmax_attention(const SoftmaxAttentionArgs& a, int max_threads) {
  softmax_attention_on_tier(active_tier(), a, max_threads);
}

}  // namespace tensorfold
