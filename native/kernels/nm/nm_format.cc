#include "nm_format.h"

namespace tensorfold {

void nm_allocate(NmMatrix* w, int64_t rows, int64_t k, int n, int m) {
  w->rows = rows;
  w->k = k;
  w->n = n;
  w->m = m;
  w->bits = nm_index_bits(m);
  w->groups = k / m;
  w->row_blocks = (rows + kNmLanes - 1) / kNmLanes;
  w->values.assign(static_cast<size_t>(w->row_blocks * w->groups * n * kNmLanes), 0.0f);
  w->indices.assign(static_cast<size_t>(w->records() * 2 * w->bits + 8), 0);
}

std::string nm_validate(const NmMatrix& mat) {
  const NmView w = mat.view();
  if (w.n < 1 || w.m <= w.n || w.m > kNmMaxM || w.k % w.m != 0 || w.bits != nm_index_bits(w.m))
    return "bad pattern";
  if (mat.values.size() != static_cast<size_t>(w.row_blocks * w.groups * w.n * kNmLanes) ||
      mat.indices.size() != static_cast<size_t>(mat.records() * nm_record_bytes(w) + 8) ||
      w.row_blocks != (w.rows + kNmLanes - 1) / kNmLanes || w.groups * w.m != w.k)
    return "bad sizes";
  for (int64_t rb = 0; rb < w.row_blocks; ++rb)
    for (int64_t g = 0; g < w.groups; ++g) {
      const uint8_t* recs = nm_block_records(w, rb, g);
      for (int lane = 0; lane < kNmLanes; ++lane) {
        const bool pad = rb * kNmLanes + lane >= w.rows;
        int prev = -1;
        for (int s = 0; s < w.n; ++s) {
          int idx = nm_lane_index(nm_record(recs + s * nm_record_bytes(w)), lane, w.bits);
          if (idx >= w.m || idx <= prev)
            return "row " + std::to_string(rb * kNmLanes + lane) + " group " + std::to_string(g) +
                   " slot " + std::to_string(s) + " has index " + std::to_string(idx) +
                   (idx >= w.m ? " (m is " + std::to_string(w.m) + ")"
                               : " (not above the previous slot's " + std::to_string(prev) + ")");
          if (pad && nm_block_values(w, rb, g)[s * kNmLanes + lane] != 0.0f)
            return "padding row " + std::to_string(rb * kNmLanes + lane) + " has a nonzero value";
          prev = idx;
        }
      }
    }
  return "";
}

void nm_matmul_reference(const NmView& w, const float* x, int64_t tokens, const float* bias,
                         float* y) {
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t o = 0; o < w.rows; ++o) {
      const int64_t rb = o / kNmLanes;
      const int lane = static_cast<int>(o % kNmLanes);
      double acc = bias ? bias[o] : 0.0;
      for (int64_t g = 0; g < w.groups; ++g) {
        const float* vals = nm_block_values(w, rb, g);
        const uint8_t* recs = nm_block_records(w, rb, g);
        for (int s = 0; s < w.n; ++s) {
          int idx = nm_lane_index(nm_record(recs + s * nm_record_bytes(w)), lane, w.bits);
          acc += static_cast<double>(vals[s * kNmLanes + lane]) * x[t * w.k + g * w.m + idx];
        }
      }
      y[t * w.rows + o] = static_cast<float>(acc);
    }
}

}  // namespace tensorfold
