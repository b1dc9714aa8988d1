// Hashing to packed codes, blocks of rows at a time: projections and signs by
// the tier's rows_sign (the projected widths, bits or anchors, are small, so
// packing for the GEMM kernels would cost more than it saves); the kernel
// hash first makes its RBF features with rows_times and rbf.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "hash_attention.h"
#include "hash_dispatch.h"

namespace tensorfold {
namespace {

constexpr int64_t kRowBlock = 64;  // rows whose features stay in L1

}  // namespace

int64_t hash_codes_on_tier(IsaTier tier, const HashCodesArgs& a, int max_threads) {
  const int64_t bh = a.batch * a.heads;
  if (bh <= 0 || a.seq <= 0) return -1;
  const HashTierKernels& k = hash_kernels_for(tier);
  const HashParams& f = a.fn;
  const int words = hash_words(f.bits);
  const bool kernel = f.kind == HashKind::kKernel;
  const int64_t m = kernel ? f.anchors : 0;
  // |c_a|^2 per anchor, and the anchors and projection transposed
  // ([dim][m] and [m][bits] per head) for the row products.
  std::vector<float> cn(static_cast<size_t>(f.heads * m)), ct(static_cast<size_t>(f.heads * m * f.dim)),
      wt(static_cast<size_t>(f.heads * m * f.bits));
  for (int64_t h = 0; h < f.heads; ++h)
    for (int64_t a = 0; a < m; ++a) {
      const float* c = f.centers + (h * m + a) * f.dim;
      double s = 0;
      for (int64_t d = 0; d < f.dim; ++d) {
        s += double(c[d]) * c[d];
        ct[(h * f.dim + d) * m + a] = c[d];
      }
      cn[h * m + a] = static_cast<float>(s);
      for (int t = 0; t < f.bits; ++t) wt[(h * m + a) * f.bits + t] = f.weights[(h * f.bits + t) * m + a];
    }
  const int64_t blocks = (a.seq + kRowBlock - 1) / kRowBlock;
  const double work = static_cast<double>(bh) * a.seq * (kernel ? m * (f.dim + f.bits) : f.dim * f.bits);
  const int nt = hash_threads(max_threads, bh * blocks, work);
  std::atomic<int64_t> first_bad{INT64_MAX};
  parallel_for(bh * blocks, nt, [&](int64_t u0, int64_t u1) {
    static thread_local AlignedBuffer buf;
    float* g = buf.floats(static_cast<size_t>(kRowBlock * (m + 2)));
    float* xa = g + kRowBlock * m;
    float* xb = xa + kRowBlock;
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t head = u / blocks, s0 = (u % blocks) * kRowBlock;
      const int64_t rows = std::min(kRowBlock, a.seq - s0);
      const int64_t b = head / a.heads, h = head % a.heads;
      const int64_t fh = f.heads == 1 ? 0 : h;
      const float* x = a.x + b * a.lx.batch + h * a.lx.head + s0 * a.lx.token;
      uint64_t* codes = a.codes + (head * a.seq + s0) * words;
      int64_t bad;
      if (!kernel) {
        bad = k.rows_sign(x, a.lx.token, rows, f.dim, f.planes + fh * f.dim * f.bits, f.bits, codes, words);
      } else {
        k.rows_times(x, a.lx.token, rows, f.dim, ct.data() + fh * f.dim * m, m, g, m);
        for (int64_t i = 0; i < rows; ++i) {
          const float* xi = x + i * a.lx.token;
          float s = 0.0f;
          for (int64_t d = 0; d < f.dim; ++d) s += xi[d] * xi[d];
          if (f.normalize) {
            // |x' - c|^2 = 1 + |c|^2 - 2 x.c / |x|; a zero row maps to the origin.
            const float inv = s > 0.0f ? 1.0f / std::sqrt(s) : (s == s ? 0.0f : s);
            xa[i] = s > 0.0f ? 1.0f : inv;
            xb[i] = -2.0f * inv;
          } else {
            xa[i] = s;
            xb[i] = -2.0f;
          }
        }
        k.rbf(g, m, rows, m, xa, xb, cn.data() + fh * m, f.gamma[fh], f.mean + fh * m);
        bad = k.rows_sign(g, m, rows, m, wt.data() + fh * m * f.bits, f.bits, codes, words);
      }
      if (bad >= 0) {
        int64_t want = head * a.seq + s0 + bad, cur = first_bad.load();
        while (want < cur && !first_bad.compare_exchange_weak(cur, want)) {
        }
      }
    }
  });
  const int64_t bad = first_bad.load();
  return bad == INT64_MAX ? -1 : bad;
}

int64_t hash_codes(const HashCodesArgs& a, int max_threads) {
  return hash_codes_on_tier(active_tier(), a, max_threads);
}

}  // namespace tensorfold
