// Exact softmax attention, blocked with an online softmax (flash-attention
// style) on the GEMM microkernels. Per block of queries, each block of keys
// gives the transposed score tile S^T = K Q^T (keys x queries); the tier's
// softmax_cols turns it into probabilities against each query's running max
// (rescaling what was accumulated when the max grows), and O^T += V^T P^T
// adds it in. Working transposed lets the probability tile feed the second
// product in place: K and V^T are packed once per head and Q^T once per query
// block, so nothing is packed per tile.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "../gemm/gemm_pack.h"
#include "hash_attention.h"
#include "hash_dispatch.h"

namespace tensorfold {

void accumulate_pv(IsaTier tier, const float* p, int64_t ldp, int64_t rows, int64_t cols, int64_t diag,
                   const float* v, int64_t ldv, int64_t dim, float* out, int64_t ldo, bool accumulate) {
  // Columns every row may use go through the GEMM; the causal triangle after
  // them row by row, so that no masked key's value is ever read (0 * NaN).
  const int64_t full = diag >= kNoCausal ? cols : std::max<int64_t>(0, std::min(cols, diag + 1));
  if (full > 0) {
    GemmArgs g;
    g.m = rows;
    g.n = dim;
    g.k = full;
    g.a = p;
    g.rs_a = ldp;
    g.cs_a = 1;
    g.b = v;
    g.rs_b = ldv;
    g.cs_b = 1;
    g.c = out;
    g.rs_c = ldo;
    g.beta = accumulate ? 1.0f : 0.0f;
    sgemm_on_tier(tier, g, GemmBatch{}, 1);
  } else if (!accumulate) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t d = 0; d < dim; ++d) out[r * ldo + d] = 0.0f;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t lim = std::min(cols, diag + r + 1);
    float* o = out + r * ldo;
    for (int64_t j = full; j < lim; ++j) {
      const float w = p[r * ldp + j];
      const float* vj = v + j * ldv;
      for (int64_t d = 0; d < dim; ++d) o[d] += w * vj[d];
    }
  }
}

namespace {

constexpr int64_t kQueryBlock = 64;

struct Packs {
  int mr, nr;
  int64_t key_block;      // a multiple of mr
  int64_t k_size, v_size;  // floats per head
  std::vector<float> k, v;
};

// Per head: K in mr-row panels (A of S^T = K Q^T) and V^T in mr-row panels
// (A of O^T = V^T P^T).
Packs pack_heads(const GemmKernelInfo& gk, const SoftmaxAttentionArgs& a, int nt) {
  Packs p;
  p.mr = gk.mr;
  p.nr = gk.nr;
  p.key_block = (256 + gk.mr - 1) / gk.mr * gk.mr;
  const int64_t bh = a.batch * a.heads;
  p.k_size = (a.nk + gk.mr - 1) / gk.mr * gk.mr * a.dim;
  p.v_size = (a.dim_v + gk.mr - 1) / gk.mr * gk.mr * a.nk;
  p.k.resize(static_cast<size_t>(bh * p.k_size));
  p.v.resize(static_cast<size_t>(bh * p.v_size));
  parallel_for(bh, nt, [&](int64_t h0, int64_t h1) {
    for (int64_t u = h0; u < h1; ++u) {
      const int64_t b = u / a.heads, h = u % a.heads;
      const float* k = a.k + b * a.lk.batch + h * a.lk.head;
      const float* v = a.v + b * a.lv.batch + h * a.lv.head;
      if (a.nk > 0 && a.dim > 0) pack_a_panels(k, a.lk.token, 1, gk.mr, 0, a.nk, 0, a.dim, p.k.data() + u * p.k_size);
      if (a.nk > 0 && a.dim_v > 0) pack_a_panels(v, 1, a.lv.token, gk.mr, 0, a.dim_v, 0, a.nk, p.v.data() + u * p.v_size);
    }
  });
  return p;
}

void softmax_block(const GemmKernelInfo& gk, const HashTierKernels& k, const Packs& pk,
                   const SoftmaxAttentionArgs& a, int64_t head, int64_t i0, int64_t qb) {
  const int64_t b = head / a.heads, h = head % a.heads;
  const int mr = pk.mr, nr = pk.nr;
  const int64_t qpad = (qb + nr - 1) / nr * nr;
  const int64_t nkeys = a.causal ? std::min(a.nk, i0 + qb) : a.nk;
  const float* kp = pk.k.data() + head * pk.k_size;
  const float* vp = pk.v.data() + head * pk.v_size;
  const float* v = a.v + b * a.lv.batch + h * a.lv.head;

  static thread_local AlignedBuffer buf;
  const int64_t kb_max = pk.key_block;
  float* qt = buf.floats(static_cast<size_t>(qpad * a.dim + kb_max * qpad + a.dim_v * qpad + qb * a.dim_v + 3 * qpad));
  float* st = qt + qpad * a.dim;        // S^T, kb x qpad
  float* ot = st + kb_max * qpad;       // O^T, dim_v x qpad
  float* tri = ot + a.dim_v * qpad;     // the causal triangle's share, qb x dim_v
  float* m = tri + qb * a.dim_v;
  float* l = m + qpad;
  float* corr = l + qpad;
  pack_b_panels(a.q + b * a.lq.batch + h * a.lq.head, 1, a.lq.token, nr, 0, a.dim, i0, qb, qt);
  for (int64_t j = 0; j < qb; ++j) {
    m[j] = -INFINITY;
    l[j] = 0.0f;
  }
  for (int64_t x = 0; x < qb * a.dim_v; ++x) tri[x] = 0.0f;
  bool any = false;
  for (int64_t j0 = 0; j0 < nkeys; j0 += kb_max) {
    const int64_t kb = std::min(kb_max, nkeys - j0);
    const int64_t diag = a.causal ? i0 - j0 : kNoCausal;
    for (int64_t ir = 0; ir < kb; ir += mr) {
      const float* ap = kp + (j0 + ir) * a.dim;  // panel (j0 + ir) / mr: mr * dim floats each
      for (int64_t jq = 0; jq < qb; jq += nr)
        gk.kernel(a.dim, ap, qt + jq * a.dim, nr, st + ir * qpad + jq, qpad, a.scale, 0.0f,
                  static_cast<int>(std::min<int64_t>(mr, kb - ir)), static_cast<int>(std::min<int64_t>(nr, qb - jq)));
    }
    k.softmax_cols(st, qpad, kb, qb, diag, m, l, corr);
    if (any)
      for (int64_t d = 0; d < a.dim_v; ++d) {
        float* row = ot + d * qpad;
        for (int64_t j = 0; j < qb; ++j) row[j] *= corr[j];
      }
    if (j0 > 0)
      for (int64_t j = 0; j < qb; ++j)
        if (corr[j] != 1.0f)
          for (int64_t d = 0; d < a.dim_v; ++d) tri[j * a.dim_v + d] *= corr[j];
    // Keys every query of the block may see go through the microkernel; the
    // causal triangle after them query by query, so that no masked key's
    // value is ever read (0 * NaN would poison the sum).
    const int64_t full = a.causal ? std::max<int64_t>(0, std::min(kb, diag + 1)) : kb;
    if (full > 0) {
      for (int64_t id = 0; id < a.dim_v; id += mr) {
        const float* ap = vp + id * a.nk + j0 * mr;  // panel id / mr, from key j0
        for (int64_t jq = 0; jq < qb; jq += nr)
          gk.kernel(full, ap, st + jq, qpad, ot + id * qpad + jq, qpad, 1.0f, any ? 1.0f : 0.0f,
                    static_cast<int>(std::min<int64_t>(mr, a.dim_v - id)), static_cast<int>(std::min<int64_t>(nr, qb - jq)));
      }
      any = true;
    }
    if (full < kb)
      for (int64_t j = 0; j < qb; ++j) {
        const int64_t lim = std::min(kb, diag + j + 1);
        float* t = tri + j * a.dim_v;
        for (int64_t p = full; p < lim; ++p) {
          const float w = st[p * qpad + j];
          const float* vr = v + (j0 + p) * a.lv.token;
          for (int64_t d = 0; d < a.dim_v; ++d) t[d] += w * vr[d];
        }
      }
  }
  float* out = a.out + b * a.lo.batch + h * a.lo.head + i0 * a.lo.token;
  for (int64_t j = 0; j < qb; ++j) {
    float* o = out + j * a.lo.token;
    const float r = 1.0f / l[j];
    for (int64_t d = 0; d < a.dim_v; ++d)
      o[d] = nkeys > 0 ? ((any ? ot[d * qpad + j] : 0.0f) + tri[j * a.dim_v + d]) * r : 0.0f;
  }
}

}  // namespace

void softmax_attention_on_tier(IsaTier tier, const SoftmaxAttentionArgs& a, int max_threads) {
  const int64_t bh = a.batch * a.heads;
  if (bh <= 0 || a.nq <= 0 || a.dim_v <= 0) return;
  const HashTierKernels& k = hash_kernels_for(tier);
  const GemmKernelInfo& gk = gemm_kernel_info(tier);
  const int64_t blocks = (a.nq + kQueryBlock - 1) / kQueryBlock;
  const int64_t units = bh * blocks;
  const double work = static_cast<double>(bh) * a.nq * a.nk * (a.dim + a.dim_v);
  const int nt = hash_threads(max_threads, units, work);
  const Packs packs = pack_heads(gk, a, nt);
  // Round-robin, so the long rows of a causal product spread over threads.
  parallel_run(nt, [&](int t, int n) {
    for (int64_t u = t; u < units; u += n) {
      const int64_t i0 = (u % blocks) * kQueryBlock;
      softmax_block(gk, k, packs, a, u / blocks, i0, std::min(kQueryBlock, a.nq - i0));
    }
  });
}

void softmax_attention(const SoftmaxAttentionArgs& a, int max_threads) {
  softmax_attention_on_tier(active_tier(), a, max_threads);
}

}  // namespace tensorfold
