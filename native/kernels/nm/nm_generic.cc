// Portable N:M kernels in plain C++ (the compiler vectorises the token loops
// with baseline SSE2), and the tier dispatch.
#include "nm_kernels.h"

namespace tensorfold {
namespace {

void rows_kernel(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t tokens,
                 const float* bias, float* y) {
  const int64_t rec_bytes = nm_record_bytes(w);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    const int lanes = static_cast<int>(nm_min(kNmLanes, w.rows - rb * kNmLanes));
    for (int64_t t = 0; t < tokens; ++t) {
      float acc[kNmLanes] = {};
      for (int64_t g = 0; g < w.groups; ++g) {
        const float* xg = x + t * w.k + g * w.m;
        const float* vals = nm_block_values(w, rb, g);
        const uint8_t* recs = nm_block_records(w, rb, g);
        for (int s = 0; s < w.n; ++s) {
          const uint64_t rec = nm_record(recs + s * rec_bytes);
          for (int l = 0; l < kNmLanes; ++l) acc[l] += vals[s * kNmLanes + l] * xg[nm_lane_index(rec, l, w.bits)];
        }
      }
      for (int l = 0; l < lanes; ++l)
        y[t * w.rows + rb * kNmLanes + l] = acc[l] + (bias ? bias[rb * kNmLanes + l] : 0.0f);
    }
  }
}

constexpr int64_t kChunk = 64;

void tile_kernel(const NmView& w, int64_t rb, const float* xt, int64_t ldxt, int64_t t0,
                 int64_t tcount, int64_t gb, int64_t ge, const float* bias, float* y) {
  float acc[kChunk];
  const int64_t rec_bytes = nm_record_bytes(w);
  const int lanes = static_cast<int>(nm_min(kNmLanes, w.rows - rb * kNmLanes));
  for (int lane = 0; lane < lanes; ++lane) {
    for (int64_t t = 0; t < kChunk; ++t) acc[t] = 0.0f;
    for (int64_t g = gb; g < ge; ++g) {
      const float* vals = nm_block_values(w, rb, g) + lane;
      const uint8_t* recs = nm_block_records(w, rb, g);
      for (int s = 0; s < w.n; ++s) {
        const float wv = vals[s * kNmLanes];
        const float* __restrict row =
            xt + (g * w.m + nm_lane_index(nm_record(recs + s * rec_bytes), lane, w.bits)) * ldxt;
        for (int64_t t = 0; t < tcount; ++t) acc[t] += wv * row[t];
      }
    }
    for (int64_t t = 0; t < tcount; ++t) {
      float& out = y[(t0 + t) * w.rows + rb * kNmLanes + lane];
      out = gb > 0 ? out + acc[t] : acc[t] + (bias ? bias[rb * kNmLanes + lane] : 0.0f);
    }
  }
}

}  // namespace

const NmKernels& nm_kernels_generic() {
  static const NmKernels k{"generic", &rows_kernel, &tile_kernel, 8, kChunk};
  return k;
}

}  // namespace tensorfold
