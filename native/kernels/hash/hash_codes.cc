// Hashing to packed codes: projections on the GEMM kernels, blocks of rows at
// a time, then the tier's sign_pack (and, for the kernel hash, its RBF
// features in between).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "hash_attention.h"
#include "hash_dispatch.h"

namespace tensorfold {
namespace {

constexpr int64_t kRowBlock = 256;

// C (rows x n, ld n) = A (rows x k, row stride lda) times B[p][j] = b[p * rs + j * cs].
void product(IsaTier tier, int64_t rows, int64_t n, int64_t k, const float* a, int64_t lda,
             const float* b, int64_t rs, int64_t cs, float* c) {
  GemmArgs g;
  g.m = rows;
  g.n = n;
  g.k = k;
  g.a = a;
  g.rs_a = lda;
  g.cs_a = 1;
  g.b = b;
  g.rs_b = rs;
  g.cs_b = cs;
  g.c = c;
  g.rs_c = n;
  sgemm_on_tier(tier, g, GemmBatch{}, 1);
}

}  // namespace

int64_t hash_codes_on_tier(IsaTier tier, const HashCodesArgs& a, int max_threads) {
  const int64_t bh = a.batch * a.heads;
  if (bh <= 0 || a.seq <= 0) return -1;
  const HashTierKernels& k = hash_kernels_for(tier);
  const HashParams& f = a.fn;
  const int words = hash_words(f.bits);
  const bool kernel = f.kind == HashKind::kKernel;
  const int64_t m = kernel ? f.anchors : 0;
  // |c_a|^2 per anchor of every parameter head.
  std::vector<float> cn(static_cast<size_t>(f.heads * m));
  for (int64_t i = 0; i < f.heads * m; ++i) {
    double s = 0;
    for (int64_t d = 0; d < f.dim; ++d) s += double(f.centers[i * f.dim + d]) * f.centers[i * f.dim + d];
    cn[i] = static_cast<float>(s);
  }
  const int64_t blocks = (a.seq + kRowBlock - 1) / kRowBlock;
  const double work = static_cast<double>(bh) * a.seq * (kernel ? m * (f.dim + f.bits) : f.dim * f.bits);
  const int nt = hash_threads(max_threads, bh * blocks, work);
  std::atomic<int64_t> first_bad{INT64_MAX};
  parallel_for(bh * blocks, nt, [&](int64_t u0, int64_t u1) {
    static thread_local AlignedBuffer buf;
    float* proj = buf.floats(static_cast<size_t>(kRowBlock * (f.bits + m + 2)));
    float* g = proj + kRowBlock * f.bits;
    float* xa = g + kRowBlock * m;
    float* xb = xa + kRowBlock;
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t head = u / blocks, s0 = (u % blocks) * kRowBlock;
      const int64_t rows = std::min(kRowBlock, a.seq - s0);
      const int64_t b = head / a.heads, h = head % a.heads;
      const int64_t fh = f.heads == 1 ? 0 : h;
      const float* x = a.x + b * a.lx.batch + h * a.lx.head + s0 * a.lx.token;
      if (!kernel) {
        product(tier, rows, f.bits, f.dim, x, a.lx.token, f.planes + fh * f.dim * f.bits, f.bits, 1, proj);
      } else {
        product(tier, rows, m, f.dim, x, a.lx.token, f.centers + fh * m * f.dim, 1, f.dim, g);
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
        product(tier, rows, f.bits, m, g, m, f.weights + fh * f.bits * m, 1, m, proj);
      }
      const int64_t bad = k.sign_pack(proj, f.bits, rows, f.bits, a.codes + (head * a.seq + s0) * words, words);
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
