// Dispatch and threading of the narrow-weight GEMM (small_n.h).
#include "small_n.h"

#include <algorithm>

#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"

namespace tensorfold {

namespace {

SmallNKernel kernel_for(IsaTier tier) {
  switch (tier) {
    case IsaTier::kAvx512: return small_n_kernel_avx512();
    case IsaTier::kAvx2: return small_n_kernel_avx2();
    default: return small_n_kernel_generic();
  }
}

// Below this many flops a call stays on one thread.
constexpr double kMinFlopsPerThread = 1 << 20;

}  // namespace

void small_n_gemm(const SmallNArgs& g, int max_threads) {
  if (g.outer <= 0 || g.inner <= 0 || g.n <= 0) return;
  const SmallNKernel kern = kernel_for(active_tier());
  if (g.k <= 0) {
    for (int64_t o = 0; o < g.outer; ++o)
      for (int64_t i = 0; i < g.inner; ++i) std::fill(g.c + o * g.sc + i * g.rsc, g.c + o * g.sc + i * g.rsc + g.n, 0.0f);
    return;
  }
  int nt = max_threads > 0 ? std::min(max_threads, pool_threads()) : pool_threads();
  const double flops = 2.0 * static_cast<double>(g.outer) * g.inner * g.n * g.k;
  nt = std::max(1, std::min<int>(nt, static_cast<int>(flops / kMinFlopsPerThread)));
  if (nt <= 1) {
    kern(g, 0, g.outer, 0, g.inner);
    return;
  }
  if (g.outer >= nt) {
    parallel_for(g.outer, nt, [&](int64_t o0, int64_t o1) { kern(g, o0, o1, 0, g.inner); });
  } else {
    parallel_for(g.inner, nt, [&](int64_t i0, int64_t i1) { kern(g, 0, g.outer, i0, i1); });
  }
}

}  // namespace tensorfold
