// The blocked GEMM driver (loops jc / pc / ic / ir / jr), shared
// by every tier; only the microkernel and its blocking sizes differ per tier.
//
// Threads split C into a grid of disjoint blocks, and each runs the serial
// blocked algorithm on its own block with private packing buffers. That needs
// no barriers; the grid is chosen to minimise the packing each thread repeats
// (a thread packs all of A's rows and B's columns that its block touches).
#include "gemm.h"

#include <algorithm>
#include <cmath>

#include "../../core/aligned_buffer.h"
#include "../../core/thread_pool.h"
#include "gemm_microkernel.h"
#include "gemm_pack.h"

namespace tensorfold {
namespace {

// Below this many flops a GEMM runs on one thread: waking workers costs more.
constexpr double kMinFlopsPerThread = 1 << 21;

// A reduction deeper than kc runs in passes that each read and write the
// block of C. A block of this many rows or more takes passes twice as deep,
// so half as many: +0-10 % at 2048-4096 rows (most when memory is
// contended), none at 1024, and 1-3 % slower at 128-512 rows, where a deeper
// B block no longer fits L2 (docs/PERF.md, GEMM item 29).
constexpr int64_t kDeepPassRows = 2048;

// Floats from p to the next 64-byte boundary (at most n) when every row, rs
// floats apart, lies the same way against it; otherwise 0.
int64_t aligned_lead(const float* p, int64_t rs, int64_t n) {
  if (rs % 16 != 0) return 0;
  const int64_t lead = static_cast<int64_t>((64 - (reinterpret_cast<uintptr_t>(p) & 63)) & 63) / 4;
  return std::min(lead, n);
}

// One row panel against B read in place (unit-stride rows), columns [jc,
// jc + nc) of rows [pc, pc + kc): the columns before B's first 64-byte
// boundary and the ragged ones after its last whole panel are packed into a
// panel each, so that every panel read in place loads whole cache lines
// (arrays from the JS heap are 16-byte aligned, and split loads made 5-12
// rows 1.5-1.7x slower: docs/PERF.md, GEMM item 32). A row panel of at most
// small_m_packed rows streams the panels with its sums in registers (a
// register tile would cost as much as mr rows); a full one runs tiles.
struct InPlaceB {
  const float* b;        // B's row pc, column jc
  int64_t lead, whole;   // columns packed before the whole panels, columns in them
  const float* edge[2];  // the packed lead and tail panels
};

InPlaceB in_place_b(const GemmArgs& g, int nr, int64_t pc, int64_t kc, int64_t jc, int64_t nc, AlignedBuffer& buf) {
  InPlaceB e;
  e.b = g.b + pc * g.rs_b + jc;
  e.lead = aligned_lead(e.b, g.rs_b, nc);
  e.whole = (nc - e.lead) / nr * nr;
  float* edges = buf.floats(static_cast<size_t>(2 * kc * nr));
  e.edge[0] = edges;
  e.edge[1] = edges + kc * nr;
  if (e.lead > 0) pack_b_panels(g.b, g.rs_b, 1, nr, pc, kc, jc, e.lead, edges);
  if (nc - e.lead - e.whole > 0)
    pack_b_panels(g.b, g.rs_b, 1, nr, pc, kc, jc + e.lead + e.whole, nc - e.lead - e.whole, edges + kc * nr);
  return e;
}

void in_place_row_panel(const GemmKernelInfo& kern, const GemmArgs& g, const InPlaceB& e, int64_t nc, int64_t kc,
                        bool rows_form, int m_eff, const float* ap, const float* a_rows, float* c_rows, float beta) {
  const int nr = kern.nr;
  auto columns = [&](int64_t c0, int64_t width, const float* b, int64_t col_step, int64_t ldb) {
    if (width <= 0) return;
    if (rows_form) {
      kern.small_m_panels(m_eff, width, kc, a_rows, g.rs_a, g.cs_a, b, col_step, ldb, c_rows + c0, g.rs_c, g.alpha,
                          beta);
      return;
    }
    for (int64_t jr = 0; jr < width; jr += nr)
      kern.kernel(kc, ap, b + jr * col_step, ldb, c_rows + c0 + jr, g.rs_c, g.alpha, beta, m_eff,
                  static_cast<int>(std::min<int64_t>(nr, width - jr)));
  };
  columns(0, e.lead, e.edge[0], kc, nr);
  columns(e.lead, e.whole, e.b + e.lead, 1, g.rs_b);
  columns(e.lead + e.whole, nc - e.lead - e.whole, e.edge[1], kc, nr);
}

// One pass's B in the panel layout: `parts` runs of micro-panels, run r
// covering kc[r] rows of the pass with micro-panel jr at b[r] + jr * kc[r].
// A packed B keeps the depth it was packed with, so a deep pass over it is
// two of its blocks, each tile taking both while its C stays in L1.
struct PassB {
  const float* b[2];
  int64_t kc[2];
  int parts;
};

const GemmKernelInfo& kernel_for(IsaTier tier) {
  switch (tier) {
    case IsaTier::kAvx512: return gemm_kernel_avx512();
    case IsaTier::kAvx2: return gemm_kernel_avx2();
    default: return gemm_kernel_generic();
  }
}

struct Scratch {
  AlignedBuffer a, b, edges;
};

Scratch& thread_scratch() {
  static thread_local Scratch s;
  return s;
}

// C block = beta * C block, for K == 0.
void scale_block(const GemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; ++i) {
    float* row = g.c + i * g.rs_c;
    for (int64_t j = n0; j < n1; ++j) row[j] = g.beta == 0.0f ? 0.0f : g.beta * row[j];
  }
}

void gemm_block(const GemmKernelInfo& kern, const GemmArgs& g, int64_t m0, int64_t m1, int64_t n0,
                int64_t n1) {
  if (m1 <= m0 || n1 <= n0) return;
  if (g.k == 0) {
    scale_block(g, m0, m1, n0, n1);
    return;
  }
  const PackedB* packed = g.b_packed;
  // Operands given by offset tables are only ever read by the packing.
  const bool a_in_place = g.a_rows == nullptr;
  const bool b_in_place = !packed && g.b_rows == nullptr && g.cs_b == 1;
  const bool small_m = a_in_place && m1 - m0 <= (packed ? kern.small_m_packed : kSmallM);
  if (small_m && b_in_place) {
    kern.small_m(static_cast<int>(m1 - m0), n1 - n0, g.k, g.a + m0 * g.rs_a, g.rs_a, g.cs_a,
                 g.b + n0, g.rs_b, g.c + m0 * g.rs_c + n0, g.rs_c, g.alpha, g.beta);
    return;
  }
  const int mr = kern.mr, nr = kern.nr;
  const int64_t mcb = kern.mc, ncb = kern.nc;
  const bool deep = m1 - m0 >= kDeepPassRows && g.k >= 2 * kern.kc;
  const int64_t kcb = deep ? 2 * kern.kc : kern.kc;
  // With a single row panel a packed copy of B would be read once: read in place.
  const bool direct_b = b_in_place && (m1 - m0) <= mr;
  Scratch& s = thread_scratch();
  float* abuf = s.a.floats(static_cast<size_t>(std::min<int64_t>(mcb, m1 - m0) + mr) * kcb);
  float* bbuf = direct_b || packed
                    ? nullptr
                    : s.b.floats(static_cast<size_t>(std::min<int64_t>(ncb, n1 - n0) + nr) * kcb);

  // Column blocks follow the global nc grid, so a pre-packed B's blocks line
  // up with any thread's column range (which starts on a multiple of nr).
  for (int64_t jb = (n0 / ncb) * ncb; jb < n1; jb += ncb) {
    const int64_t jc = std::max(jb, n0), nc = std::min(jb + ncb, n1) - jc;
    for (int64_t pc = 0; pc < g.k; pc += kcb) {
      const int64_t kc = std::min(kcb, g.k - pc);
      const float beta = pc == 0 ? g.beta : 1.0f;
      PassB pb{{nullptr, nullptr}, {kc, 0}, 1};
      if (packed) {
        pb.kc[0] = std::min<int64_t>(packed->kc, kc);
        pb.kc[1] = kc - pb.kc[0];
        pb.parts = pb.kc[1] > 0 ? 2 : 1;
        for (int r = 0; r < pb.parts; ++r)
          pb.b[r] = packed_b_block(*packed, jb, pc + r * pb.kc[0]) + (jc - jb) * pb.kc[r];
      } else if (!direct_b) {
        if (g.b_rows)
          pack_b_indexed(g.b, g.b_rows, g.b_cols, nr, pc, kc, jc, nc, bbuf);
        else
          pack_b_panels(g.b, g.rs_b, g.cs_b, nr, pc, kc, jc, nc, bbuf);
        pb.b[0] = bbuf;
      }
      if (small_m) {  // packed B, few rows: stream its panels
        for (int r = 0, p = 0; r < pb.parts; p += pb.kc[r++])
          kern.small_m_panels(static_cast<int>(m1 - m0), nc, pb.kc[r], g.a + m0 * g.rs_a + (pc + p) * g.cs_a,
                              g.rs_a, g.cs_a, pb.b[r], pb.kc[r], nr, g.c + m0 * g.rs_c + jc, g.rs_c, g.alpha,
                              r == 0 ? beta : 1.0f);
        continue;
      }
      InPlaceB in_place{};
      if (direct_b) in_place = in_place_b(g, nr, pc, kc, jc, nc, s.edges);
      for (int64_t ic = m0; ic < m1; ic += mcb) {
        const int64_t mc = std::min(mcb, m1 - ic);
        if (g.a_rows)
          pack_a_indexed(g.a, g.a_rows, g.a_cols, mr, ic, mc, pc, kc, abuf);
        else
          pack_a_panels(g.a, g.rs_a, g.cs_a, mr, ic, mc, pc, kc, abuf);
        // The A micro-panel (mr x kc, the smaller one) stays in L1 while the
        // B micro-panels stream past it from the L2-resident packed block.
        for (int64_t ir = 0; ir < mc; ir += mr) {
          const int m_eff = static_cast<int>(std::min<int64_t>(mr, mc - ir));
          float* c_rows = g.c + (ic + ir) * g.rs_c + jc;
          const float* ap = abuf + (ir / mr) * kc * mr;
          const float* a_rows = g.a + (ic + ir) * g.rs_a + pc * g.cs_a;
          // A partial row panel streams B's panels once, its sums in
          // registers: a register tile would cost as much as mr rows.
          const bool rows_form = a_in_place && m_eff < mr && m_eff <= kern.small_m_packed;
          if (direct_b) {
            in_place_row_panel(kern, g, in_place, nc, kc, rows_form, m_eff, ap, a_rows, c_rows, beta);
            continue;
          }
          if (rows_form) {
            for (int r = 0, p = 0; r < pb.parts; p += pb.kc[r++])
              kern.small_m_panels(m_eff, nc, pb.kc[r], a_rows + p * g.cs_a, g.rs_a, g.cs_a, pb.b[r], pb.kc[r], nr,
                                  c_rows, g.rs_c, g.alpha, r == 0 ? beta : 1.0f);
            continue;
          }
          for (int64_t jr = 0; jr < nc; jr += nr) {
            const int n_eff = static_cast<int>(std::min<int64_t>(nr, nc - jr));
            for (int r = 0, p = 0; r < pb.parts; p += pb.kc[r++])
              kern.kernel(pb.kc[r], ap + p * mr, pb.b[r] + jr * pb.kc[r], nr, c_rows + jr, g.rs_c, g.alpha,
                          r == 0 ? beta : 1.0f, m_eff, n_eff);
          }
        }
      }
    }
  }
}

int useful_threads(const GemmArgs& g, int max_threads) {
  int nt = max_threads > 0 ? std::min(max_threads, pool_threads()) : pool_threads();
  double work = 2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k);
  // A few rows stream B from memory: the time goes with B's bytes, not the
  // flops; 8 flops per byte is about this machine's FMA rate over its
  // one-core bandwidth.
  if (g.m <= kSmallM) work = std::max(work, 8.0 * 4.0 * static_cast<double>(g.n) * static_cast<double>(g.k));
  int by_work = static_cast<int>(std::max(1.0, work / kMinFlopsPerThread));
  return std::max(1, std::min(nt, by_work));
}

// Chooses a tm x tn grid (tm * tn == nt), each thread at least one register
// tile, by a per-k cost of the slowest thread's block in cycles: its register
// tiles (mr cycles each), A's rows packed once per column block (8 a row), B's
// columns read from the shared cache (0.4) and, unpacked, packed (0.5). The
// weights were fitted to two-thread timings of 10 shapes (docs/PERF.md, GEMM
// item 21): splitting N repacks all of A in every thread, splitting M reads
// all of B in every thread, and uneven tile counts idle a thread.
void choose_grid(const GemmKernelInfo& kern, const GemmArgs& g, int nt, int* tm, int* tn) {
  const int64_t mp = (g.m + kern.mr - 1) / kern.mr, np = (g.n + kern.nr - 1) / kern.nr;
  double best = -1;
  *tm = 1;
  *tn = 1;
  for (int a = 1; a <= nt; ++a) {
    if (nt % a) continue;
    const int b = nt / a;
    if (mp < a || np < b) continue;
    const double rows = double((mp + a - 1) / a) * kern.mr, cols = double((np + b - 1) / b) * kern.nr;
    const double col_blocks = std::ceil(cols / kern.nc);
    const double tiles = double((mp + a - 1) / a) * double((np + b - 1) / b);
    const double cost = tiles * kern.mr + 8.0 * rows * col_blocks + (g.b_packed ? 0.4 : 0.9) * cols;
    if (best < 0 || cost < best) {
      best = cost;
      *tm = a;
      *tn = b;
    }
  }
}

void gemm_threaded(const GemmKernelInfo& kern, const GemmArgs& g, int nt) {
  int tm = 1, tn = 1;
  if (nt > 1) choose_grid(kern, g, nt, &tm, &tn);
  if (tm * tn <= 1) {
    gemm_block(kern, g, 0, g.m, 0, g.n);
    return;
  }
  // Each thread packs the A rows its block needs, one L2-sized block at a
  // time. Packing A once for all threads that split N was tried: the panels
  // another core packed come from its cache, and that lost more than the
  // repeated packing saves (docs/PERF.md, GEMM item 12).
  parallel_run(tm * tn, [&](int t, int ntr) {
    if (ntr != tm * tn) {  // pool smaller than asked: one thread does it all
      if (t == 0) gemm_block(kern, g, 0, g.m, 0, g.n);
      return;
    }
    int64_t m0, m1, n0, n1;
    split_range(g.m, kern.mr, t / tn, tm, &m0, &m1);
    split_range(g.n, kern.nr, t % tn, tn, &n0, &n1);
    gemm_block(kern, g, m0, m1, n0, n1);
  });
}

GemmArgs batch_item(const GemmArgs& g, const GemmBatch& b, int64_t t) {
  GemmArgs it = g;
  it.a = g.a + t * b.stride_a;
  it.b = g.b + t * b.stride_b;
  it.c = g.c + t * b.stride_c;
  return it;
}

}  // namespace

void sgemm_on_tier(IsaTier tier, const GemmArgs& g, const GemmBatch& batch, int max_threads) {
  if (g.m <= 0 || g.n <= 0 || batch.count <= 0) return;
  // A pre-packed B is laid out for one tier's kernel: that tier runs it.
  const GemmKernelInfo& kern = kernel_for(g.b_packed ? g.b_packed->tier : tier);
  int nt = useful_threads(g, max_threads);
  if (batch.count == 1) {
    gemm_threaded(kern, g, nt);
    return;
  }
  int nt_all = max_threads > 0 ? std::min(max_threads, pool_threads()) : pool_threads();
  // Many items, or items too small to split: give each thread whole items.
  bool over_items = nt <= 1 || batch.count % nt_all == 0 || batch.count >= 4 * nt_all;
  if (over_items && nt_all > 1) {
    parallel_for(batch.count, nt_all, [&](int64_t b0, int64_t b1) {
      for (int64_t t = b0; t < b1; ++t) {
        GemmArgs it = batch_item(g, batch, t);
        gemm_block(kern, it, 0, it.m, 0, it.n);
      }
    });
    return;
  }
  for (int64_t t = 0; t < batch.count; ++t) gemm_threaded(kern, batch_item(g, batch, t), nt);
}

const char* gemm_kernel_name(IsaTier tier) { return kernel_for(tier).name; }

const GemmKernelInfo& gemm_kernel_info(IsaTier tier) { return kernel_for(tier); }

void sgemm_batched(const GemmArgs& g, const GemmBatch& batch, int max_threads) {
  sgemm_on_tier(active_tier(), g, batch, max_threads);
}

void sgemm(const GemmArgs& g, int max_threads) { sgemm_batched(g, GemmBatch{}, max_threads); }

}  // namespace tensorfold
