// Loop-nest plumbing shared by the strided kernels. Dims are dropped when
// they have size 1, reordered so the innermost loop is the one worth
// vectorising, and merged when their strides chain, so that a contiguous
// block becomes one long loop. Outer positions are walked by an odometer
// rather than a div/mod per element.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "../../core/thread_pool.h"
#include "strided.h"

namespace tensorfold {
namespace nest {

// A nest as a table: size[d] and, for each of `np` pointers, stride(d, p).
// The kernels put the inputs first and the output last.
struct Table {
  int np = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> strides;  // size.size() * np

  int rank() const { return static_cast<int>(size.size()); }
  int64_t stride(int d, int p) const { return strides[static_cast<size_t>(d) * np + p]; }
  int64_t count() const {
    int64_t c = 1;
    for (int64_t s : size) c *= s;
    return c;
  }
  bool empty() const {
    return std::any_of(size.begin(), size.end(), [](int64_t s) { return s == 0; });
  }
};

// The inputs' and output's strides per dim, size-1 dims dropped (they move
// no pointer).
Table table_of(const StridedNest& n);

// The dims for which keep(d) holds, in order.
template <class Pred>
Table select(const Table& t, Pred keep) {
  Table r;
  r.np = t.np;
  for (int d = 0; d < t.rank(); ++d) {
    if (!keep(d)) continue;
    r.size.push_back(t.size[d]);
    for (int p = 0; p < t.np; ++p) r.strides.push_back(t.stride(d, p));
  }
  return r;
}

// Reorders dims so that key(d) decreases from outer to inner (stable).
template <class Key>
Table sorted_desc(const Table& t, Key key) {
  std::vector<int> order(t.rank());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) > key(b); });
  Table r;
  r.np = t.np;
  for (int d : order) {
    r.size.push_back(t.size[d]);
    for (int p = 0; p < t.np; ++p) r.strides.push_back(t.stride(d, p));
  }
  return r;
}

// Merges neighbours d, d+1 whose strides chain for every pointer
// (stride(d) == stride(d+1) * size(d+1)): they walk memory as one dim.
Table merged(const Table& t);

// Threads worth using for `work` element operations, capped by max_threads
// (<= 0: the pool size). Small work stays on the calling thread.
int threads_for(double work, int max_threads);

// Walks the positions of a table's dims in row-major order, keeping one
// offset per pointer.
class Odometer {
 public:
  explicit Odometer(const Table& t) : t_(t), idx_(t.rank(), 0), off_(t.np, 0) {}

  // Jumps to the position with row-major number `linear`.
  void seek(int64_t linear) {
    std::fill(off_.begin(), off_.end(), 0);
    for (int d = t_.rank() - 1; d >= 0; --d) {
      const int64_t s = t_.size[d];
      idx_[d] = linear % s;
      linear /= s;
      for (int p = 0; p < t_.np; ++p) off_[p] += idx_[d] * t_.stride(d, p);
    }
  }

  void next() {
    for (int d = t_.rank() - 1; d >= 0; --d) {
      const int64_t* st = &t_.strides[static_cast<size_t>(d) * t_.np];
      for (int p = 0; p < t_.np; ++p) off_[p] += st[p];
      if (++idx_[d] < t_.size[d]) return;
      for (int p = 0; p < t_.np; ++p) off_[p] -= st[p] * t_.size[d];
      idx_[d] = 0;
    }
  }

  int64_t offset(int p) const { return off_[p]; }

 private:
  const Table& t_;
  std::vector<int64_t> idx_;
  std::vector<int64_t> off_;
};

// Runs body(od, i0, i1) for every row of `outer` (od at that row) and a
// range [i0, i1) of its `len` inner elements. Rows are split into pieces
// when there are too few of them to keep `nt` threads busy, so that one
// long merged row still runs in parallel.
template <class Body>
void for_rows(const Table& outer, int64_t len, int nt, Body body) {
  const int64_t rows = outer.count();
  int64_t pieces = 1;
  if (nt > 1 && rows < 4 * nt) pieces = std::max<int64_t>(1, std::min<int64_t>((4 * nt + rows - 1) / rows, len / 4096));
  parallel_for(rows * pieces, nt, [&](int64_t b, int64_t e) {
    Odometer od(outer);
    int64_t row = b / pieces;
    od.seek(row);
    for (int64_t u = b; u < e; ++u) {
      if (u / pieces != row) {
        ++row;
        od.next();
      }
      const int64_t p = u % pieces;
      body(od, len * p / pieces, len * (p + 1) / pieces);
    }
  });
}

}  // namespace nest
}  // namespace tensorfold
