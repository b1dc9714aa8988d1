// Strided copy. The destination's dims are walked in its own memory order;
// when the source's contiguous dim is a different one, the two are copied in
// square tiles small enough that the source lines a tile touches stay in L1
// while the destination rows are written, so neither side strides through
// memory a line at a time. A short run both sides hold contiguously (the
// innermost dim of a block transpose, e.g. [b][q][k] -> [q][b][k] with k
// small) is copied whole as one tile element, and the tiles are taken over
// the next dims: otherwise every run would start on a new line, and often a
// new page, of the source.
#include <cstring>
#include <stdexcept>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "../../core/thread_pool.h"
#include "nest.h"
#include "strided.h"

namespace tensorfold {
namespace {

void copy_row(const float* src, int64_t ss, float* dst, int64_t ds, int64_t n) {
  if (ss == 1 && ds == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  } else if (ds == 1) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i * ss];
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i * ds] = src[i * ss];
  }
}

// Every dim but the innermost is an outer loop over rows.
void copy_rows(const nest::Table& t, const float* src, float* dst, int max_threads) {
  const int inner = t.rank() - 1;
  const int64_t len = t.size[inner], ss = t.stride(inner, 0), ds = t.stride(inner, 1);
  nest::Table outer = nest::select(t, [&](int d) { return d != inner; });
  const int nt = nest::threads_for(static_cast<double>(outer.count()) * len, max_threads);
  nest::for_rows(outer, len, nt, [&](const nest::Odometer& od, int64_t i0, int64_t i1) {
    copy_row(src + od.offset(0) + i0 * ss, ss, dst + od.offset(1) + i0 * ds, ds, i1 - i0);
  });
}

// A plain 2-D transpose of rows [i0, i1) x columns [j0, j1): source
// element (i, j) at s[i + j * sb], destination at d[i * da + j]. 4 x 4
// blocks go through SSE2 registers (baseline x86-64): four loads, a
// shuffle, four stores, where the scalar loop gathers one element at a time.
void transpose_block(const float* s, int64_t sb, float* d, int64_t da, int64_t i0, int64_t i1, int64_t j0,
                     int64_t j1) {
  int64_t i = i0;
#if defined(__SSE2__)
  for (; i + 4 <= i1; i += 4) {
    int64_t j = j0;
    for (; j + 4 <= j1; j += 4) {
      __m128 r0 = _mm_loadu_ps(s + i + j * sb), r1 = _mm_loadu_ps(s + i + (j + 1) * sb);
      __m128 r2 = _mm_loadu_ps(s + i + (j + 2) * sb), r3 = _mm_loadu_ps(s + i + (j + 3) * sb);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      _mm_storeu_ps(d + i * da + j, r0);
      _mm_storeu_ps(d + (i + 1) * da + j, r1);
      _mm_storeu_ps(d + (i + 2) * da + j, r2);
      _mm_storeu_ps(d + (i + 3) * da + j, r3);
    }
    for (; j < j1; ++j)
      for (int64_t u = i; u < i + 4; ++u) d[u * da + j] = s[u + j * sb];
  }
#endif
  for (; i < i1; ++i)
    for (int64_t j = j0; j < j1; ++j) d[i * da + j] = s[i + j * sb];
}

// Tile side (up to 32) for elements of `vec` floats: at most 16 KiB of each
// side per tile, so a tile's source and destination lines fit L1 together.
int64_t tile_for(int64_t vec) {
  int64_t t = 4;
  while (t < 32 && 2 * t * 2 * t * vec <= 4096) t *= 2;
  return t;
}

// Dim `a` is the source's contiguous one (or next-contiguous, past the
// shared run), `b` the destination's; `vec` > 1 when the innermost dim `v`
// is a run both sides hold contiguously, copied whole per tile element.
void copy_tiles(const nest::Table& t, int a, int b, int v, int64_t vec, const float* src, float* dst,
                int max_threads) {
  const int64_t na = t.size[a], nb = t.size[b];
  const int64_t sa = t.stride(a, 0), sb = t.stride(b, 0), da = t.stride(a, 1), db = t.stride(b, 1);
  nest::Table outer = nest::select(t, [&](int d) { return d != a && d != b && (vec == 1 || d != v); });
  const int64_t tile = tile_for(vec);
  const int64_t ta = (na + tile - 1) / tile, tb = (nb + tile - 1) / tile, per = ta * tb;
  const int64_t work = outer.count() * per;
  const int nt = nest::threads_for(static_cast<double>(outer.count()) * na * nb * vec, max_threads);
  parallel_for(work, nt, [&](int64_t w0, int64_t w1) {
    nest::Odometer od(outer);
    int64_t pos = w0 / per;
    od.seek(pos);
    for (int64_t w = w0; w < w1; ++w) {
      if (w / per != pos) {
        ++pos;
        od.next();
      }
      const int64_t k = w % per;
      const int64_t a0 = (k / tb) * tile, a1 = std::min(na, a0 + tile);
      const int64_t b0 = (k % tb) * tile, b1 = std::min(nb, b0 + tile);
      const float* s = src + od.offset(0);
      float* d = dst + od.offset(1);
      if (vec > 1) {
        for (int64_t i = a0; i < a1; ++i)
          for (int64_t j = b0; j < b1; ++j) {
            const float* from = s + i * sa + j * sb;
            float* to = d + i * da + j * db;
            for (int64_t e = 0; e < vec; ++e) to[e] = from[e];
          }
      } else if (sa == 1 && db == 1) {
        transpose_block(s, sb, d, da, a0, a1, b0, b1);
      } else {
        for (int64_t i = a0; i < a1; ++i)
          for (int64_t j = b0; j < b1; ++j) d[i * da + j * db] = s[i * sa + j * sb];
      }
    }
  });
}

// A run shorter than this (in elements), contiguous on both sides, is too
// short to stream rows along: it becomes a tile element instead.
constexpr int64_t kShortRun = 64;

}  // namespace

void strided_permute(const StridedNest& n, int max_threads) {
  if (n.in.size() != 1) throw std::invalid_argument("strided_permute takes one operand");
  nest::Table t = nest::table_of(n);
  if (t.empty()) return;
  t = nest::merged(nest::sorted_desc(t, [&](int d) { return t.stride(d, 1); }));
  const float* src = n.in[0];
  float* dst = n.out;
  if (t.rank() == 0) {
    *dst = *src;
    return;
  }
  const int inner = t.rank() - 1;
  // The dim (`skip` aside) that the source is most contiguous along.
  auto most_contiguous = [&](int skip) {
    int a = -1;
    for (int d = t.rank() - 1; d >= 0; --d)
      if (d != skip && (a < 0 || t.stride(d, 0) < t.stride(a, 0))) a = d;
    return a;
  };
  const int a = most_contiguous(-1);
  if (a != inner && t.size[a] >= 8 && t.size[inner] >= 8) {
    copy_tiles(t, a, inner, inner, 1, src, dst, max_threads);
    return;
  }
  // A short run shared by both sides: tile the next dims around it.
  const int64_t run = t.size[inner];
  if (a == inner && t.stride(inner, 0) == 1 && t.stride(inner, 1) == 1 && run < kShortRun && t.rank() >= 3) {
    const int a2 = most_contiguous(inner), b2 = inner - 1;
    if (a2 != b2 && t.size[a2] >= 4 && t.size[b2] >= 4) {
      copy_tiles(t, a2, b2, inner, run, src, dst, max_threads);
      return;
    }
  }
  copy_rows(t, src, dst, max_threads);
}

}  // namespace tensorfold
