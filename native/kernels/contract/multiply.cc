// Elementwise product with broadcasting: the Hadamard, batch-only and outer
// product steps of an einsum. The innermost loop runs along the output's
// contiguous dim, with the common stride patterns (unit, or 0 for a
// broadcast operand) as separate loops the compiler can vectorise. When an
// input is contiguous along another dim (a transposed operand), the two
// dims are walked in square tiles instead, as the permute kernel does, so
// that input is not read a cache line per element.
#include <stdexcept>

#include "../../core/thread_pool.h"
#include "nest.h"
#include "strided.h"

namespace tensorfold {
namespace {

constexpr int64_t kTile = 32;

void multiply_row(const float* a, int64_t sa, const float* b, int64_t sb, float* c, int64_t sc, int64_t n) {
  if (sc == 1) {
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) c[i] = a[i] * b[i];
      return;
    }
    if (sa == 1 && sb == 0) {
      const float y = *b;
      for (int64_t i = 0; i < n; ++i) c[i] = a[i] * y;
      return;
    }
    if (sa == 0 && sb == 1) {
      const float x = *a;
      for (int64_t i = 0; i < n; ++i) c[i] = x * b[i];
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) c[i * sc] = a[i * sa] * b[i * sb];
}

void multiply_rows(const nest::Table& t, const float* a, const float* b, float* c, int max_threads) {
  const int inner = t.rank() - 1;
  const int64_t len = t.size[inner];
  const int64_t sa = t.stride(inner, 0), sb = t.stride(inner, 1), sc = t.stride(inner, 2);
  nest::Table outer = nest::select(t, [&](int d) { return d != inner; });
  const int nt = nest::threads_for(static_cast<double>(outer.count()) * len, max_threads);
  nest::for_rows(outer, len, nt, [&](const nest::Odometer& od, int64_t i0, int64_t i1) {
    multiply_row(a + od.offset(0) + i0 * sa, sa, b + od.offset(1) + i0 * sb, sb, c + od.offset(2) + i0 * sc, sc, i1 - i0);
  });
}

// Dim `x` is some input's contiguous one, `y` the output's.
void multiply_tiles(const nest::Table& t, int x, int y, const float* a, const float* b, float* c, int max_threads) {
  const int64_t nx = t.size[x], ny = t.size[y];
  const int64_t ax = t.stride(x, 0), bx = t.stride(x, 1), cx = t.stride(x, 2);
  const int64_t ay = t.stride(y, 0), by = t.stride(y, 1), cy = t.stride(y, 2);
  nest::Table outer = nest::select(t, [&](int d) { return d != x && d != y; });
  const int64_t tx = (nx + kTile - 1) / kTile, ty = (ny + kTile - 1) / kTile, per = tx * ty;
  const int nt = nest::threads_for(static_cast<double>(outer.count()) * nx * ny, max_threads);
  parallel_for(outer.count() * per, nt, [&](int64_t w0, int64_t w1) {
    nest::Odometer od(outer);
    int64_t pos = w0 / per;
    od.seek(pos);
    for (int64_t w = w0; w < w1; ++w) {
      if (w / per != pos) {
        ++pos;
        od.next();
      }
      const int64_t tile = w % per;
      const int64_t x0 = (tile / ty) * kTile, x1 = std::min(nx, x0 + kTile);
      const int64_t y0 = (tile % ty) * kTile, y1 = std::min(ny, y0 + kTile);
      const float* pa = a + od.offset(0);
      const float* pb = b + od.offset(1);
      float* pc = c + od.offset(2);
      for (int64_t i = x0; i < x1; ++i)
        for (int64_t j = y0; j < y1; ++j) pc[i * cx + j * cy] = pa[i * ax + j * ay] * pb[i * bx + j * by];
    }
  });
}

}  // namespace

void strided_multiply(const StridedNest& n, int max_threads) {
  if (n.in.size() != 2) throw std::invalid_argument("strided_multiply takes two operands");
  nest::Table t = nest::table_of(n);
  if (t.empty()) return;
  t = nest::merged(nest::sorted_desc(t, [&](int d) { return t.stride(d, 2); }));
  const float *a = n.in[0], *b = n.in[1];
  float* c = n.out;
  if (t.rank() == 0) {
    *c = *a * *b;
    return;
  }
  // An input that strides along the output's inner dim but is contiguous
  // along another one: tile those two dims.
  const int inner = t.rank() - 1;
  for (int k = 0; k < 2; ++k) {
    if (t.stride(inner, k) <= 1) continue;
    for (int d = 0; d < inner; ++d)
      if (t.stride(d, k) == 1 && t.size[d] >= 8 && t.size[inner] >= 8) {
        multiply_tiles(t, d, inner, a, b, c, max_threads);
        return;
      }
  }
  multiply_rows(t, a, b, c, max_threads);
}

}  // namespace tensorfold
