// The N:M driver: picks the kernel form by token count, transposes the
// activations once for the many-token form, and threads over row blocks.
#include <algorithm>

#include "../../core/aligned_buffer.h"
#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "nm_kernels.h"

namespace tensorfold {
namespace {

const NmKernels& kernels_for(IsaTier tier) {
  switch (tier) {
    case IsaTier::kAvx512: return nm_kernels_avx512();
    case IsaTier::kAvx2: return nm_kernels_avx2();
    default: return nm_kernels_generic();
  }
}

// Below this many multiply-adds a thread does not pay for its dispatch.
// (At 2^19 a one-token 1:4 product of 3072 x 768 ran on one thread, 1.6-1.9x
// dense on two; at 2^16 it splits, 2.6-3.4x: docs/PERF.md, N:M item 24.)
constexpr double kMinWorkPerThread = 1 << 16;

}  // namespace

const char* nm_kernel_name(IsaTier tier) { return kernels_for(tier).name; }

void nm_matmul(const NmView& w, const float* x, int64_t tokens, const float* bias, float* y,
               int max_threads) {
  if (tokens <= 0 || w.rows <= 0) return;
  const NmKernels& kern = kernels_for(active_tier());
  int nt = max_threads > 0 ? std::min(max_threads, pool_threads()) : pool_threads();
  const double work = double(tokens) * double(w.rows) * double(w.groups) * w.n;
  nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(nt, static_cast<int64_t>(work / kMinWorkPerThread))));
  nt = static_cast<int>(std::min<int64_t>(nt, w.row_blocks));

  if (w.groups == 0) {  // k == 0: y = bias
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t o = 0; o < w.rows; ++o) y[t * w.rows + o] = bias ? bias[o] : 0.0f;
    return;
  }
  if (tokens <= kern.rows_max_tokens) {
    parallel_for(w.row_blocks, nt, [&](int64_t rb0, int64_t rb1) { kern.rows(w, rb0, rb1, x, tokens, bias, y); });
    return;
  }
  // Each chunk of tokens is transposed into its own k x chunk block (tokens
  // contiguous, zero-padded): a kernel call reads one compact block, whose
  // rows do not collide in L1 sets the way rows of a long token stride do.
  const int64_t chunk = kern.chunk, chunks = (tokens + chunk - 1) / chunk;
  static thread_local AlignedBuffer xt_buf;
  float* xt = xt_buf.floats(static_cast<size_t>(chunks * w.k * chunk));
  parallel_for(chunks * ((w.k + 15) / 16), nt, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t c = b % chunks, p0 = (b / chunks) * 16, pn = std::min<int64_t>(16, w.k - p0);
      const int64_t t0 = c * chunk, tn = std::min(chunk, tokens - t0);
      float* dst = xt + c * w.k * chunk;
      // 16 activation rows at a time: each token's read is one cache line.
      for (int64_t t = 0; t < tn; ++t) {
        const float* src = x + (t0 + t) * w.k + p0;
        for (int64_t p = 0; p < pn; ++p) dst[(p0 + p) * chunk + t] = src[p];
      }
      for (int64_t p = 0; p < pn; ++p)
        for (int64_t t = tn; t < chunk; ++t) dst[(p0 + p) * chunk + t] = 0.0f;
    }
  });
  // Chunk-major order: consecutive work items share a chunk, which stays in
  // L2; a long reduction runs as slices of groups, one pass each, so the
  // slice of a chunk is what stays (a pass adds into the previous one's y).
  const int64_t slice = std::max<int64_t>(1, kNmChunkBytes / (chunk * w.m * int64_t(sizeof(float))));
  for (int64_t g0 = 0; g0 < w.groups; g0 += slice) {
    const int64_t g1 = std::min(w.groups, g0 + slice);
    parallel_for(w.row_blocks * chunks, nt, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t c = i / w.row_blocks, rb = i % w.row_blocks;
        kern.tile(w, rb, xt + c * w.k * chunk, chunk, c * chunk, std::min(chunk, tokens - c * chunk), g0, g1, bias, y);
      }
    });
  }
}

}  // namespace tensorfold
