// Score-only kernels for measuring: Hamming distances by popcount against the
// fp32 QK^T product they replace, each writing tiles that stay in cache.
#include <algorithm>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "hash_attention.h"
#include "hash_dispatch.h"

namespace tensorfold {

void hamming_scores_blocked(IsaTier tier, int64_t units, int64_t n, int bits, const uint64_t* qcodes,
                            const uint32_t* kplanes, int64_t rows, bool portable_popcount,
                            int max_threads) {
  const HammingKernels& hk = hamming_kernels_for(tier, portable_popcount);
  const int words = hash_words(bits), planes = (bits + 31) / 32;
  const int64_t blocks = (n + rows - 1) / rows;
  const int nt = hash_threads(max_threads, units * blocks, static_cast<double>(units) * n * n);
  // Keys in blocks too, so the tile (rows x kKeys int32) stays in L1.
  constexpr int64_t kKeys = 256;
  parallel_for(units * blocks, nt, [&](int64_t u0, int64_t u1) {
    static thread_local AlignedBuffer buf;
    int32_t* tile = reinterpret_cast<int32_t*>(buf.floats(static_cast<size_t>(rows * kKeys)));
    for (int64_t x = u0; x < u1; ++x) {
      const int64_t u = x / blocks, i0 = (x % blocks) * rows;
      for (int64_t j0 = 0; j0 < n; j0 += kKeys)
        hk.tile(reinterpret_cast<const uint32_t*>(qcodes + (u * n + i0) * words), 2 * words,
                std::min(rows, n - i0), kplanes + u * planes * n + j0, n, std::min(kKeys, n - j0), planes,
                tile, kKeys);
    }
  });
}

void qk_scores_blocked(IsaTier tier, int64_t units, int64_t n, int64_t dim, const float* q,
                       const float* k, int64_t rows, int max_threads) {
  const int64_t blocks = (n + rows - 1) / rows;
  const int nt = hash_threads(max_threads, units * blocks, static_cast<double>(units) * n * n * dim);
  parallel_for(units * blocks, nt, [&](int64_t u0, int64_t u1) {
    static thread_local AlignedBuffer buf;
    float* tile = buf.floats(static_cast<size_t>(rows * n));
    for (int64_t x = u0; x < u1; ++x) {
      const int64_t u = x / blocks, i0 = (x % blocks) * rows;
      GemmArgs g;
      g.m = std::min(rows, n - i0);
      g.n = n;
      g.k = dim;
      g.a = q + (u * n + i0) * dim;
      g.rs_a = dim;
      g.cs_a = 1;
      g.b = k + u * n * dim;  // B[p][j] = K[j][p]
      g.rs_b = 1;
      g.cs_b = dim;
      g.c = tile;
      g.rs_c = n;
      sgemm_on_tier(tier, g, GemmBatch{}, 1);
    }
  });
}

}  // namespace tensorfold
