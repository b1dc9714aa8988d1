#include "gemm_pack.h"

#include <algorithm>

#include "../../core/thread_pool.h"

namespace tensorfold {

void pack_a_panels(const float* a, int64_t rs_a, int64_t cs_a, int mr, int64_t i0, int64_t mc,
                   int64_t p0, int64_t kc, float* out) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    int m_eff = static_cast<int>(std::min<int64_t>(mr, mc - ir));
    float* panel = out + (ir / mr) * kc * mr;
    const float* src = a + (i0 + ir) * rs_a + p0 * cs_a;
    if (cs_a == 1) {
      for (int i = 0; i < m_eff; ++i) {
        const float* row = src + i * rs_a;
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

void pack_a_indexed(const float* a, const int64_t* rows, const int64_t* cols, int mr, int64_t i0,
                    int64_t mc, int64_t p0, int64_t kc, float* out) {
  const int64_t* col = cols + p0;
  for (int64_t ir = 0; ir < mc; ir += mr) {
    int m_eff = static_cast<int>(std::min<int64_t>(mr, mc - ir));
    float* panel = out + (ir / mr) * kc * mr;
    for (int i = 0; i < m_eff; ++i) {
      const float* row = a + rows[i0 + ir + i];
      for (int64_t p = 0; p < kc; ++p) panel[p * mr + i] = row[col[p]];
    }
    for (int64_t p = 0; p < kc; ++p)
      for (int i = m_eff; i < mr; ++i) panel[p * mr + i] = 0.0f;
  }
}

namespace {

// A short copy, inlined: most runs are a few vectors long.
inline void copy_floats(float* __restrict dst, const float* __restrict src, int len) {
  int j = 0;
  for (; j + 8 <= len; j += 8)
    for (int t = 0; t < 8; ++t) dst[j + t] = src[j + t];
  for (; j < len; ++j) dst[j] = src[j];
}

}  // namespace

void pack_b_indexed(const float* b, const int64_t* rows, const int64_t* cols, int nr, int64_t p0,
                    int64_t kc, int64_t j0, int64_t nc, float* out) {
  // A panel's columns fall into runs of consecutive offsets (an index group's
  // unit-stride tail), each copied as one contiguous span per row.
  constexpr int kMaxNr = 64;
  int start[kMaxNr + 1];
  for (int64_t jr = 0; jr < nc; jr += nr) {
    const int n_eff = static_cast<int>(std::min<int64_t>(nr, nc - jr));
    const int64_t* col = cols + j0 + jr;
    int runs = 0;
    for (int j = 0; j < n_eff; ++j)
      if (j == 0 || col[j] != col[j - 1] + 1) start[runs++] = j;
    start[runs] = n_eff;
    float* panel = out + (jr / nr) * kc * nr;
    // Run by run, so that each inner loop has one length for all kc rows.
    for (int r = 0; r < runs; ++r) {
      const int len = start[r + 1] - start[r];
      const float* src = b + col[start[r]];
      float* dst = panel + start[r];
      for (int64_t p = 0; p < kc; ++p) copy_floats(dst + p * nr, src + rows[p0 + p], len);
    }
    for (int64_t p = 0; p < kc; ++p)
      for (int j = n_eff; j < nr; ++j) panel[p * nr + j] = 0.0f;
  }
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
