// Linear hash attention: the driver. Work is split over (batch, head, block
// of value columns) units, each run by the tier's linear_head with scratch
// owned by the calling thread.
#include <algorithm>
#include <cstring>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "hash_attention.h"
#include "hash_dispatch.h"

namespace tensorfold {
namespace {

size_t align64(size_t bytes) { return (bytes + 63) & ~size_t{63}; }

// Carves one thread's scratch for a tier and bit count.
LinearScratch linear_scratch(const HashTierKernels& k, int bits) {
  static thread_local AlignedBuffer buf;
  const int64_t ms = (bits + k.mask_align - 1) / k.mask_align * k.mask_align;
  const size_t masks = align64(static_cast<size_t>(kLinearTokenBlock * ms * k.mask_bytes));
  const size_t ptable = align64(sizeof(float) * bits * kLinearMaxBlock);
  const size_t coef = align64(sizeof(float) * 2 * kLinearTokenBlock + sizeof(int64_t) * kLinearTokenBlock);
  const size_t counts = align64(sizeof(int32_t) * ((bits + 63) / 64 * 64));
  const size_t vec = align64(sizeof(float) * kLinearMaxBlock);
  const size_t chunks = static_cast<size_t>((bits + 3) / 4);
  const size_t tables = align64(sizeof(float) * chunks * 16 * kLinearMaxBlock);
  const size_t table_counts = align64(sizeof(int32_t) * chunks * 16);
  char* base = reinterpret_cast<char*>(
      buf.floats((2 * masks + ptable + coef + counts + 2 * vec + tables + table_counts) / 4));
  LinearScratch s;
  s.kmask = base;
  s.qmask = base + masks;
  s.ptable = reinterpret_cast<float*>(base + 2 * masks);
  s.coef = reinterpret_cast<float*>(base + 2 * masks + ptable);
  s.den = reinterpret_cast<int64_t*>(base + 2 * masks + ptable + sizeof(float) * 2 * kLinearTokenBlock);
  s.counts = reinterpret_cast<int32_t*>(base + 2 * masks + ptable + coef);
  s.vsum = reinterpret_cast<float*>(base + 2 * masks + ptable + coef + counts);
  s.wsum = reinterpret_cast<float*>(base + 2 * masks + ptable + coef + counts + vec);
  s.tables = reinterpret_cast<float*>(base + 2 * masks + ptable + coef + counts + 2 * vec);
  s.table_counts = reinterpret_cast<int32_t*>(base + 2 * masks + ptable + coef + counts + 2 * vec + tables);
  return s;
}

}  // namespace

void linear_hash_attention_on_tier(IsaTier tier, const LinearAttentionArgs& a, int max_threads) {
  const int64_t bh = a.batch * a.heads;
  if (bh <= 0 || a.nq <= 0 || a.dim <= 0) return;
  const HashTierKernels& k = hash_kernels_for(tier);
  const int words = hash_words(a.bits);
  const int64_t bw = k.linear_block;
  const int64_t blocks = (a.dim + bw - 1) / bw;
  const int64_t units = bh * blocks;
  const double work = static_cast<double>(bh) * (a.nq + a.nk) * a.bits * a.dim / 16.0;
  const int nt = hash_threads(max_threads, units, work);
  parallel_for(units, nt, [&](int64_t u0, int64_t u1) {
    const LinearScratch s = linear_scratch(k, a.bits);
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t head = u / blocks, d0 = (u % blocks) * bw;
      const int64_t b = head / a.heads, h = head % a.heads;
      LinearHead lh;
      lh.nq = a.nq;
      lh.nk = a.nk;
      lh.bits = a.bits;
      lh.words = words;
      lh.width = std::min(bw, a.dim - d0);
      lh.qcodes = a.qcodes + head * a.nq * words;
      lh.kcodes = a.kcodes + head * a.nk * words;
      lh.v = a.v + b * a.lv.batch + h * a.lv.head + d0;
      lh.ldv = a.lv.token;
      lh.out = a.out + b * a.lo.batch + h * a.lo.head + d0;
      lh.ldo = a.lo.token;
      lh.causal = a.causal;
      lh.variant = static_cast<int>(a.variant);
      k.linear_head(lh, s);
    }
  });
}

void linear_hash_attention(const LinearAttentionArgs& a, int max_threads) {
  linear_hash_attention_on_tier(active_tier(), a, max_threads);
}

void linear_hash_state_step_on_tier(IsaTier tier, const LinearStateArgs& a, int max_threads) {
  if (a.units <= 0 || a.dim <= 0) return;
  const HashTierKernels& k = hash_kernels_for(tier);
  const int words = hash_words(a.bits);
  const int64_t bw = k.linear_block;
  const int64_t blocks = (a.dim + bw - 1) / bw;
  const int64_t units = a.units * blocks;
  const double work = static_cast<double>(a.units) * (a.n + 1) * a.bits * a.dim / 8.0;
  const int nt = hash_threads(max_threads, units, work);
  // Column blocks of one head share counts and length: the kernels read them
  // and the driver advances them once, after every block has run.
  parallel_for(units, nt, [&](int64_t u0, int64_t u1) {
    const LinearScratch s = linear_scratch(k, a.bits);
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t head = u / blocks, d0 = (u % blocks) * bw;
      const int64_t b = head / a.heads, h = head % a.heads;
      LinearHead lh;
      lh.nq = a.n;
      lh.nk = a.kcodes ? a.n : 0;
      lh.bits = a.bits;
      lh.words = words;
      lh.width = std::min(bw, a.dim - d0);
      lh.qcodes = a.qcodes ? a.qcodes + head * a.n * words : nullptr;
      lh.kcodes = a.kcodes ? a.kcodes + head * a.n * words : nullptr;
      lh.v = a.v ? a.v + b * a.lv.batch + h * a.lv.head + d0 : nullptr;
      lh.ldv = a.lv.token;
      lh.out = a.out ? a.out + b * a.lo.batch + h * a.lo.head + d0 : nullptr;
      lh.ldo = a.lo.token;
      lh.causal = true;
      lh.variant = static_cast<int>(a.variant);
      lh.p = a.p + head * a.bits * a.dim + d0;
      lh.ldp = a.dim;
      lh.vsum = a.vsum + head * a.dim + d0;
      lh.wsum = a.wsum + head * a.dim + d0;
      lh.counts = a.counts + head * a.bits;
      lh.length = a.length + head;
      lh.write_state_counts = false;
      k.linear_head(lh, s);
    }
  });
  if (!a.kcodes) return;
  for (int64_t u = 0; u < a.units; ++u) {
    int32_t* c = a.counts + u * a.bits;
    for (int64_t i = 0; i < a.n; ++i) {
      const uint64_t* code = a.kcodes + (u * a.n + i) * words;
      for (int t = 0; t < a.bits; ++t) c[t] += static_cast<int32_t>((code[t / 64] >> (t % 64)) & 1u);
    }
    a.length[u] += static_cast<double>(a.n);
  }
}

void linear_hash_state_step(const LinearStateArgs& a, int max_threads) {
  linear_hash_state_step_on_tier(active_tier(), a, max_threads);
}

}  // namespace tensorfold
