#include "gemm_pack.h"

#include <algorithm>
#include <vector>

#include "../../core/thread_pool.h"

namespace tensorfold {

// Source rows lie a row stride apart, so each is a short run the hardware
// prefetcher meets cold: both packings ask for the rows they read next
// (docs/PERF.md, GEMM item 30).
void pack_a_panels(const float* a, int64_t rs_a, int64_t cs_a, int mr, int64_t i0, int64_t mc,
                   int64_t p0, int64_t kc, float* out) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    int m_eff = static_cast<int>(std::min<int64_t>(mr, mc - ir));
    float* panel = out + (ir / mr) * kc * mr;
    const float* src = a + (i0 + ir) * rs_a + p0 * cs_a;
    if (cs_a == 1) {
      for (int i = 0; i < m_eff; ++i) {
        const float* row = src + i * rs_a;
        if (ir + mr + i < mc)  // the same row of the next panel
          for (int64_t p = 0; p < kc; p += 16) __builtin_prefetch(row + mr * rs_a + p);
        for (int64_t p = 0; p < kc; ++p) panel[p * mr + i] = row[p];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < m_eff; ++i) panel[p * mr + i] = src[i * rs_a + p * cs_a];
    }
    if (m_eff < mr)
      for (int64_t p = 0; p < kc; ++p)
        for (int i = m_eff; i < mr; ++i) panel[p * mr + i] = 0.0f;
  }
}

namespace {

// Whole panels of a unit-stride B, kRows source rows at a time: each panel
// then receives kRows * NR contiguous floats per visit, where one row at a
// time writes to every panel in turn (a store stream per panel, which the
// caches do not keep up with), and a compile-time width copies with full
// vectors. Measured at 768 x 3072 from L3: 0.19 ms against 0.33 row by row.
constexpr int kRows = 4;

template <int NR>
void pack_b_whole_panels(const float* b, int64_t rs_b, int64_t kc, int64_t panels, int64_t ldp,
                         float* out) {
  int64_t p = 0;
  for (; p + kRows <= kc; p += kRows)
    for (int64_t jp = 0; jp < panels; ++jp) {
      const float* src = b + p * rs_b + jp * NR;
      float* dst = out + jp * ldp + p * NR;
      if (p + 2 * kRows <= kc)  // this panel's part of the next kRows rows
        for (int r = 0; r < kRows; ++r)
          for (int j = 0; j < NR; j += 16) __builtin_prefetch(src + (kRows + r) * rs_b + j);
      for (int r = 0; r < kRows; ++r)
        for (int j = 0; j < NR; ++j) dst[r * NR + j] = src[r * rs_b + j];
    }
  for (; p < kc; ++p)
    for (int64_t jp = 0; jp < panels; ++jp)
      for (int j = 0; j < NR; ++j) out[jp * ldp + p * NR + j] = b[p * rs_b + jp * NR + j];
}

// Panels [first, first + panels) of a unit-stride B, nr wide at run time.
void pack_b_unit_stride(const float* b, int64_t rs_b, int nr, int64_t kc, int64_t first,
                        int64_t panels, int64_t nc, float* out) {
  for (int64_t p = 0; p < kc; ++p) {
    const float* row = b + p * rs_b;
    for (int64_t jp = first; jp < first + panels; ++jp) {
      const int64_t jr = jp * nr;
      const int n_eff = static_cast<int>(std::min<int64_t>(nr, nc - jr));
      float* dst = out + jp * kc * nr + p * nr;
      for (int j = 0; j < n_eff; ++j) dst[j] = row[jr + j];
      for (int j = n_eff; j < nr; ++j) dst[j] = 0.0f;
    }
  }
}

}  // namespace

void pack_b_panels(const float* b, int64_t rs_b, int64_t cs_b, int nr, int64_t p0, int64_t kc,
                   int64_t j0, int64_t nc, float* out) {
  const int64_t panels = (nc + nr - 1) / nr;
  if (cs_b == 1) {
    const float* src = b + p0 * rs_b + j0;
    const int64_t whole = nc / nr;
    switch (nr) {
      case 32: pack_b_whole_panels<32>(src, rs_b, kc, whole, kc * nr, out); break;
      case 16: pack_b_whole_panels<16>(src, rs_b, kc, whole, kc * nr, out); break;
      case 8: pack_b_whole_panels<8>(src, rs_b, kc, whole, kc * nr, out); break;
      default: pack_b_unit_stride(src, rs_b, nr, kc, 0, whole, nc, out);
    }
    // The last, partial panel: zero-padded to the tile width.
    pack_b_unit_stride(src, rs_b, nr, kc, whole, panels - whole, nc, out);
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += nr) {
    int n_eff = static_cast<int>(std::min<int64_t>(nr, nc - jr));
    float* panel = out + (jr / nr) * kc * nr;
    const float* src = b + p0 * rs_b + (j0 + jr) * cs_b;
    for (int j = 0; j < n_eff; ++j) {
      const float* col = src + j * cs_b;
      for (int64_t p = 0; p < kc; ++p) panel[p * nr + j] = col[p * rs_b];
    }
    if (n_eff < nr)
      for (int64_t p = 0; p < kc; ++p)
        for (int j = n_eff; j < nr; ++j) panel[p * nr + j] = 0.0f;
  }
}

namespace {

// A short copy, inlined: most runs are a few vectors long.
inline void copy_floats(float* __restrict dst, const float* __restrict src, int64_t len) {
  int64_t j = 0;
  for (; j + 8 <= len; j += 8)
    for (int t = 0; t < 8; ++t) dst[j + t] = src[j + t];
  for (; j < len; ++j) dst[j] = src[j];
}

// Runs of consecutive offsets in off[0, n): their starts, and n at the end.
int64_t find_runs(const int64_t* off, int64_t n, int64_t* start) {
  int64_t runs = 0;
  for (int64_t t = 0; t < n; ++t)
    if (t == 0 || off[t] != off[t - 1] + 1) start[runs++] = t;
  start[runs] = n;
  return runs;
}

// One panel, kc steps of `width` floats: panel[p][x] = src[p_off[p] + x_off[x]]
// for x < x_eff, zeros after. Runs of consecutive offsets are copied as
// spans, along x or along p, whichever way they are longer: an index
// group's unit-stride tail may fall on either side of the panel.
// p_runs_buf and x_start hold kc + 1 and x_eff + 1 run starts.
void gather_panel(const float* src, const int64_t* p_off, int64_t kc, const int64_t* x_off, int x_eff,
                  int width, int64_t* p_runs_buf, int64_t* x_start, float* panel) {
  const int64_t x_runs = find_runs(x_off, x_eff, x_start);
  const int64_t p_runs = find_runs(p_off, kc, p_runs_buf);
  if (x_eff * p_runs <= kc * x_runs) {  // longer along p: a run per x column
    for (int x = 0; x < x_eff; ++x)
      for (int64_t r = 0; r < p_runs; ++r) {
        const float* from = src + x_off[x] + p_off[p_runs_buf[r]];
        for (int64_t p = p_runs_buf[r]; p < p_runs_buf[r + 1]; ++p) panel[p * width + x] = from[p - p_runs_buf[r]];
      }
  } else {  // longer along x: each run of columns once for all kc steps
    for (int64_t r = 0; r < x_runs; ++r) {
      const float* from = src + x_off[x_start[r]];
      float* to = panel + x_start[r];
      const int64_t len = x_start[r + 1] - x_start[r];
      for (int64_t p = 0; p < kc; ++p) copy_floats(to + p * width, from + p_off[p], len);
    }
  }
  for (int64_t p = 0; p < kc; ++p)
    for (int x = x_eff; x < width; ++x) panel[p * width + x] = 0.0f;
}

// Panels `width` wide across A's rows or B's columns (count of them, at
// side_off), kc steps deep along k.
void pack_indexed_panels(const float* src, const int64_t* k_off, int64_t kc, const int64_t* side_off,
                         int64_t count, int width, float* out) {
  std::vector<int64_t> runs(static_cast<size_t>(kc + width) + 2);
  for (int64_t s = 0; s < count; s += width) {
    const int eff = static_cast<int>(std::min<int64_t>(width, count - s));
    gather_panel(src, k_off, kc, side_off + s, eff, width, runs.data(), runs.data() + kc + 1,
                 out + (s / width) * kc * width);
  }
}

}  // namespace

void pack_a_indexed(const float* a, const int64_t* rows, const int64_t* cols, int mr, int64_t i0,
                    int64_t mc, int64_t p0, int64_t kc, float* out) {
  pack_indexed_panels(a, cols + p0, kc, rows + i0, mc, mr, out);
}

void pack_b_indexed(const float* b, const int64_t* rows, const int64_t* cols, int nr, int64_t p0,
                    int64_t kc, int64_t j0, int64_t nc, float* out) {
  pack_indexed_panels(b, rows + p0, kc, cols + j0, nc, nr, out);
}

namespace {

int64_t padded_width(const PackedB& p, int64_t jb) {
  int64_t w = std::min<int64_t>(p.nc, p.n - jb);
  return (w + p.nr - 1) / p.nr * p.nr;
}

}  // namespace

const float* packed_b_block(const PackedB& p, int64_t jb, int64_t pc) {
  return p.data() + jb * p.k + pc * padded_width(p, jb);
}

PackedB* gemm_pack_b(IsaTier tier, const float* b, int64_t rs_b, int64_t cs_b, int64_t k,
                     int64_t n, int max_threads) {
  const GemmKernelInfo& kern = gemm_kernel_info(tier);
  auto* p = new PackedB();
  p->tier = tier;
  p->k = k;
  p->n = n;
  p->nr = kern.nr;
  p->kc = kern.kc;
  p->nc = kern.nc;
  int64_t n_padded = (n + kern.nr - 1) / kern.nr * kern.nr;
  // Packing writes every element (padding columns as zeros), so the memory
  // is not cleared first: each page is first touched by the thread packing it.
  p->size = n_padded * k;
  p->buf.floats(static_cast<size_t>(p->size));
  const int64_t blocks_n = (n + p->nc - 1) / p->nc, blocks_k = (k + p->kc - 1) / p->kc;
  parallel_for(blocks_n * blocks_k, max_threads > 0 ? max_threads : pool_threads(),
               [&](int64_t b0, int64_t b1) {
                 for (int64_t t = b0; t < b1; ++t) {
                   int64_t jb = (t / blocks_k) * p->nc, pc = (t % blocks_k) * p->kc;
                   int64_t nc = std::min<int64_t>(p->nc, n - jb), kc = std::min<int64_t>(p->kc, k - pc);
                   pack_b_panels(b, rs_b, cs_b, p->nr, pc, kc, jb, nc,
                                 const_cast<float*>(packed_b_block(*p, jb, pc)));
                 }
               });
  return p;
}

}  // namespace tensorfold
