// Runs a factorized layer's step chain over token blocks. See chain.h.
#include "chain.h"

#include <algorithm>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "../contract/strided.h"
#include "../gemm/gemm.h"
#include "../gemm/gemm_pack.h"
#include "small_n.h"

namespace tensorfold {

int64_t Chain::per_token(ChainBuf b) const {
  switch (b) {
    case ChainBuf::kX: return in_features;
    case ChainBuf::kY: return out_features;
    case ChainBuf::kS0: return scratch[0];
    case ChainBuf::kS1: return scratch[1];
    default: return 0;
  }
}

namespace {

struct Block {
  const float* x;
  float* y;
  float* s[2];
  int64_t tokens;
};

const float* read_ptr(const Chain& ch, const Block& b, const ChainRef& r) {
  switch (r.buf) {
    case ChainBuf::kX: return b.x + r.offset;
    case ChainBuf::kY: return b.y + r.offset;
    case ChainBuf::kS0: return b.s[0] + r.offset;
    case ChainBuf::kS1: return b.s[1] + r.offset;
    default: return ch.weights[r.weight].data() + r.offset;
  }
}

float* write_ptr(const Block& b, const ChainRef& r) {
  switch (r.buf) {
    case ChainBuf::kY: return b.y + r.offset;
    case ChainBuf::kS0: return b.s[0] + r.offset;
    default: return b.s[1] + r.offset;  // the binding admits no other output
  }
}

void run_narrow(const Chain& ch, const ChainStep& st, const Block& blk, int threads) {
  SmallNArgs g;
  g.n = st.n;
  g.k = st.k;
  g.a = read_ptr(ch, blk, st.a);
  g.rsa = st.rs_a;
  g.csa = st.cs_a;
  g.w = ch.narrow[st.narrow].data();
  g.ldw = small_n_ldw(st.n);
  g.c = write_ptr(blk, st.c);
  g.rsc = st.rs_c;
  g.inner = st.m_token ? st.m * blk.tokens : st.m;
  if (!st.loops.empty()) {
    const ChainLoop& l = st.loops[0];
    g.outer = l.token ? blk.tokens : l.size;
    g.sa = l.sa;
    g.sc = l.sc;
  }
  small_n_gemm(g, threads);
}

// Per token: C_t [m, n] = A [m, k] · B_t [k, n], A packed once, B_t read in
// place. Each token's B_t is small (a per-token slice of an intermediate),
// so it stays in L1/L2 while A's panels pass over it: nothing is packed per
// call, which a batched GEMM of such small items would spend most time on.
void run_weight_left(const Chain& ch, const ChainStep& st, const Block& blk, int threads) {
  const GemmKernelInfo& kern = gemm_kernel_info(ch.weight_left_tier);
  const float* a = ch.weight_left[st.weight_left].data();
  const float* b0 = read_ptr(ch, blk, st.b);
  float* c0 = write_ptr(blk, st.c);
  const ChainLoop& l = st.loops[0];
  parallel_for(blk.tokens, threads, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const float* b = b0 + t * l.sb;
      float* c = c0 + t * l.sc;
      for (int64_t ir = 0; ir < st.m; ir += kern.mr) {
        const int m_eff = static_cast<int>(std::min<int64_t>(kern.mr, st.m - ir));
        const float* ap = a + (ir / kern.mr) * kern.mr * st.k;
        for (int64_t jr = 0; jr < st.n; jr += kern.nr)
          kern.kernel(st.k, ap, b + jr, st.rs_b, c + ir * st.rs_c + jr, st.rs_c, 1.0f, 0.0f, m_eff,
                      static_cast<int>(std::min<int64_t>(kern.nr, st.n - jr)));
      }
    }
  });
}

void run_gemm(const Chain& ch, const ChainStep& st, const Block& blk, int threads) {
  if (st.narrow >= 0) {
    run_narrow(ch, st, blk, threads);
    return;
  }
  if (st.weight_left >= 0) {
    run_weight_left(ch, st, blk, threads);
    return;
  }
  GemmArgs g;
  g.m = st.m_token ? st.m * blk.tokens : st.m;
  g.n = st.n;
  g.k = st.k;
  g.a = read_ptr(ch, blk, st.a);
  g.rs_a = st.rs_a;
  g.cs_a = st.cs_a;
  g.rs_b = st.rs_b;
  g.cs_b = st.cs_b;
  g.c = write_ptr(blk, st.c);
  g.rs_c = st.rs_c;
  if (st.packed >= 0)
    g.b_packed = ch.packed[st.packed].get();
  else
    g.b = read_ptr(ch, blk, st.b);
  if (st.loops.empty()) {
    sgemm(g, threads);
    return;
  }
  // The first loop is the batch of one call; any others are walked here.
  const ChainLoop& first = st.loops[0];
  GemmBatch batch;
  batch.count = first.token ? blk.tokens : first.size;
  batch.stride_a = first.sa;
  batch.stride_b = first.sb;
  batch.stride_c = first.sc;
  const size_t rest = st.loops.size() - 1;
  std::vector<int64_t> idx(rest, 0);
  for (;;) {
    GemmArgs it = g;
    for (size_t l = 0; l < rest; ++l) {
      const ChainLoop& lp = st.loops[l + 1];
      it.a += idx[l] * lp.sa;
      if (!it.b_packed) it.b += idx[l] * lp.sb;
      it.c += idx[l] * lp.sc;
    }
    sgemm_batched(it, batch, threads);
    // Next position of the outer loops, last one fastest; done when all wrap.
    size_t l = rest;
    for (;;) {
      if (l == 0) return;
      --l;
      const ChainLoop& lp = st.loops[l + 1];
      if (++idx[l] < (lp.token ? blk.tokens : lp.size)) break;
      idx[l] = 0;
    }
  }
}

// Two operands and no summed dim (every dim of extent > 1 moves the output):
// an outer or Hadamard product, as CP's steps at one token are.
bool is_plain_product(const StridedNest& n) {
  if (n.in.size() != 2) return false;
  for (size_t d = 0; d < n.shape.size(); ++d)
    if (n.shape[d] > 1 && n.out_strides[d] == 0) return false;
  return true;
}

void run_nest(const Chain& ch, const ChainStep& st, const Block& blk, int threads) {
  StridedNest nest;
  nest.shape = st.shape;
  if (st.token_dim >= 0) nest.shape[st.token_dim] = blk.tokens;
  for (size_t i = 0; i < st.ins.size(); ++i) {
    nest.in.push_back(read_ptr(ch, blk, st.ins[i]));
    nest.in_strides.push_back(st.in_strides[i]);
  }
  nest.out = write_ptr(blk, st.out);
  nest.out_strides = st.out_strides;
  if (st.kind == ChainStep::Kind::kPermute)
    strided_permute(nest, threads);
  else if (is_plain_product(nest))
    strided_multiply(nest, threads);  // the same float32 products, without a sum's float64 setup
  else
    strided_sum_product(nest, threads);
}

struct Scratch {
  AlignedBuffer s[2];
};

Scratch& thread_scratch() {
  static thread_local Scratch s;
  return s;
}

void run_block(const Chain& ch, const float* x, float* y, int64_t tokens, int threads) {
  Scratch& sc = thread_scratch();
  Block blk;
  blk.x = x;
  blk.y = y;
  blk.tokens = tokens;
  for (int i = 0; i < 2; ++i) blk.s[i] = sc.s[i].floats(static_cast<size_t>(std::max<int64_t>(1, ch.scratch[i] * tokens)));
  for (const ChainStep& st : ch.steps) {
    if (st.kind == ChainStep::Kind::kGemm)
      run_gemm(ch, st, blk, threads);
    else
      run_nest(ch, st, blk, threads);
  }
  if (!ch.bias.empty())
    for (int64_t t = 0; t < tokens; ++t) {
      float* row = y + t * ch.out_features;
      for (int64_t j = 0; j < ch.out_features; ++j) row[j] += ch.bias[j];
    }
}

}  // namespace

void chain_run(const Chain& ch, const float* x, float* y, int64_t tokens, int64_t block, bool fused,
               int max_threads) {
  if (tokens <= 0) return;
  const int nt = max_threads > 0 ? std::min(max_threads, pool_threads()) : pool_threads();
  if (!fused || block <= 0 || block >= tokens) {
    run_block(ch, x, y, tokens, nt);
    return;
  }
  // Equal shares: the block count is rounded up to a multiple of the threads.
  int64_t blocks = (tokens + block - 1) / block;
  if (nt > 1) blocks = (blocks + nt - 1) / nt * nt;
  blocks = std::min(blocks, tokens);
  const int64_t size = (tokens + blocks - 1) / blocks;
  blocks = (tokens + size - 1) / size;
  parallel_for(blocks, std::min<int64_t>(nt, blocks), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t t0 = b * size, t1 = std::min(tokens, t0 + size);
      run_block(ch, x + t0 * ch.in_features, y + t0 * ch.out_features, t1 - t0, 1);
    }
  });
}

}  // namespace tensorfold
