// AVX-512 N:M kernels. Built with the AVX-512 and BMI2 flags only; called
// only when the CPU has them.
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "../../core/aligned_buffer.h"
#include "nm_kernels.h"
#include "nm_span_asm.h"

namespace tensorfold {
namespace {

// The 16 lane indices of one metadata record, as int32 lanes. A record of
// at most 32 bits (1- and 2-bit indices): one broadcast and one per-lane
// shift (pdep and a byte widening cost about three times as much).
struct ShiftDecoder {
  __m512i shift, field;
  explicit ShiftDecoder(int bits)
      : shift(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                 _mm512_set1_epi32(bits))),
        field(_mm512_set1_epi32((1 << bits) - 1)) {}
  __m512i operator()(const uint8_t* rec) const { return _mm512_and_si512(unmasked(rec), field); }
  // Each lane's field in its low bits, the next lanes' above it (for
  // permutes of a register that repeats the group, which read no further).
  __m512i unmasked(const uint8_t* rec) const {
    return _mm512_srlv_epi32(_mm512_broadcastd_epi32(_mm_loadu_si32(rec)), shift);
  }
};

// A record of 3- or 4-bit indices (at most 64 bits): the
// record broadcast to every qword, each lane's two bytes picked by one
// in-lane byte shuffle, then the per-lane shift and AND.
struct ByteShiftDecoder {
  __m512i pick, shift, field;
  explicit ByteShiftDecoder(int bits) {
    alignas(64) int8_t p[64];
    alignas(64) int32_t sh[16];
    for (int l = 0; l < 16; ++l) {
      const int at = l * bits;
      p[4 * l] = static_cast<int8_t>(at >> 3);
      p[4 * l + 1] = static_cast<int8_t>((at >> 3) + 1);
      p[4 * l + 2] = p[4 * l + 3] = -128;  // zero
      sh[l] = at & 7;
    }
    pick = _mm512_load_si512(p);
    shift = _mm512_load_si512(sh);
    field = _mm512_set1_epi32((1 << bits) - 1);
  }
  __m512i operator()(const uint8_t* rec) const {
    const __m512i r = _mm512_broadcastq_epi64(_mm_loadu_si64(rec));
    return _mm512_and_si512(_mm512_srlv_epi32(_mm512_shuffle_epi8(r, pick), shift), field);
  }
};

inline __mmask16 valid_rows(const NmView& w, int64_t rb) {
  int64_t left = w.rows - rb * kNmLanes;
  return left >= kNmLanes ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

// A group of m activations into the low lanes of a register (the rest is not
// read by the permutes). Power-of-two groups take a plain load of their own
// width: a masked load costs more, and a full-width one would split across
// cache lines at most offsets. A pair is broadcast to every lane instead,
// which a 64-bit broadcast load does at no extra cost, so a permute reads
// only a lane's field whatever bits lie above it and the 1-bit indices need
// no mask. (Repeating groups of 4 and 8 the same way costs a shuffle per
// load here and measured 10-20 % slower at 8 tokens: docs/PERF.md, N:M
// item 23.)
template <int M>
inline __m512 load_group(const float* p, __mmask16 gmask) {
  if constexpr (M == 2) return _mm512_castpd_ps(_mm512_broadcastsd_pd(_mm_load_sd(reinterpret_cast<const double*>(p))));
  if constexpr (M == 4) return _mm512_castps128_ps512(_mm_loadu_ps(p));
  if constexpr (M == 8) return _mm512_castps256_ps512(_mm256_loadu_ps(p));
  if constexpr (M == 16) return _mm512_loadu_ps(p);
  return _mm512_maskz_loadu_ps(gmask, p);  // M == 0: any other group size
}

// T tokens of row blocks [rb0, rb1): each block's slots stream in storage
// order with stepping pointers (no offsets recomputed per group), each
// token's group of m activations in one register, each kept slot one
// permute and one FMA per token for 16 rows, its indices decoded as used.
// Groups take turns over C chains of sums, so that T * C sums are in flight
// (one chain at one token waits on the FMA latency at every slot).
// Narrow: the records decode by a shift alone.
template <int T, int M, bool Narrow>
void few_tokens(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t ldx, const float* bias, float* y) {
  constexpr int C = T == 1 ? 4 : T == 2 ? 2 : 1;
  const __mmask16 gmask = static_cast<__mmask16>(w.m >= 16 ? 0xFFFF : (1u << w.m) - 1u);
  const ShiftDecoder shift_decode(w.bits);
  const ByteShiftDecoder byte_decode(w.bits);
  const int n = w.n;
  const int64_t m = M ? M : w.m, rec_bytes = nm_record_bytes(w);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    const float* v = nm_block_values(w, rb, 0);
    const uint8_t* rec = nm_block_records(w, rb, 0);
    const float* xp = x;
    __m512 acc[C][T];
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < T; ++t) acc[c][t] = _mm512_setzero_ps();
    auto group = [&](__m512 (&a)[T]) {
      __m512 xg[T];
      for (int t = 0; t < T; ++t) xg[t] = load_group<M>(xp + t * ldx, gmask);
      for (int s = 0; s < n; ++s) {
        const __m512i idx = M == 2 ? shift_decode.unmasked(rec) : Narrow ? shift_decode(rec) : byte_decode(rec);
        const __m512 vs = _mm512_loadu_ps(v);
        for (int t = 0; t < T; ++t) a[t] = _mm512_fmadd_ps(vs, _mm512_permutexvar_ps(idx, xg[t]), a[t]);
        v += kNmLanes;
        rec += rec_bytes;
      }
      xp += m;
    };
    nm_groups_over_chains<C>(w.groups, acc, group);
    for (int c = 1; c < C; ++c)
      for (int t = 0; t < T; ++t) acc[0][t] = _mm512_add_ps(acc[0][t], acc[c][t]);
    const __mmask16 keep = valid_rows(w, rb);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(keep, bias + rb * kNmLanes) : _mm512_setzero_ps();
    for (int t = 0; t < T; ++t)
      _mm512_mask_storeu_ps(y + t * w.rows + rb * kNmLanes, keep, _mm512_add_ps(acc[0][t], b));
  }
}

// The record decoding is chosen at compile time where the group size is.
template <int T, int M>
void rows_t(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t ldx, const float* bias, float* y) {
  if constexpr (M == 2 || M == 4) {
    few_tokens<T, M, true>(w, rb0, rb1, x, ldx, bias, y);
  } else if constexpr (M == 8 || M == 16) {
    few_tokens<T, M, false>(w, rb0, rb1, x, ldx, bias, y);
  } else {
    if (w.bits <= 2) return few_tokens<T, M, true>(w, rb0, rb1, x, ldx, bias, y);
    few_tokens<T, M, false>(w, rb0, rb1, x, ldx, bias, y);
  }
}

// Groups whose activations one 16-float load covers: the span that a set of
// index vectors permutes from.
inline int groups_per_span(int m) { return kNmLanes / m; }

// Row block rb's index vectors for groups [g0, g1) (g0 at a span's start),
// every kept slot in value order, each lane offset to its group's place in
// the span: decoded once per block, they serve every tile of tokens.
void decode_spans(const NmView& w, int64_t rb, int64_t g0, int64_t g1, const ShiftDecoder& shift_decode,
                  const ByteShiftDecoder& byte_decode, int32_t* idx) {
  const int gs = groups_per_span(w.m);
  const int64_t rec_bytes = nm_record_bytes(w);
  const uint8_t* recs = nm_block_records(w, rb, 0);
  for (int64_t s0 = g0; s0 < g1; s0 += gs)
    for (int64_t g = s0; g < nm_min(g1, s0 + gs); ++g) {
      const __m512i at = _mm512_set1_epi32(static_cast<int>((g - s0) * w.m));
      for (int64_t j = g * w.n; j < (g + 1) * w.n; ++j) {
        const uint8_t* rec = recs + j * rec_bytes;
        _mm512_store_si512(idx + (j - g0 * w.n) * kNmLanes,
                           _mm512_add_epi32(w.bits <= 2 ? shift_decode(rec) : byte_decode(rec), at));
      }
    }
}

// One span of a tile: T tokens' spans loaded once (masked: a span may be
// narrower than 16 floats, or the matrix's last and partial), then `slots`
// kept slots of R row blocks, each an index load, a value load, and a
// permute and an FMA per token.
// SLOTS > 0 fixes the slot count at compile time so the loop unrolls and the
// sums stay in registers.
template <int R, int T, int SLOTS>
inline void span_step(__m512 (&acc)[R][T], const float* x, int64_t k, __mmask16 mask,
                      const int32_t* const (&idx)[R], const float* const (&vals)[R], int64_t slots) {
  __m512 xs[T];
  for (int t = 0; t < T; ++t)
    xs[t] = _mm512_maskz_loadu_ps(mask, x + t * k);
  const int64_t count = SLOTS > 0 ? SLOTS : slots;
#pragma GCC unroll 8
  for (int64_t j = 0; j < count; ++j)
    for (int r = 0; r < R; ++r) {
      const __m512i id = _mm512_load_si512(idx[r] + j * kNmLanes);
      const __m512 v = _mm512_loadu_ps(vals[r] + j * kNmLanes);
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_fmadd_ps(v, _mm512_permutexvar_ps(id, xs[t]), acc[r][t]);
    }
}

// A tile of up to 8 tokens of row blocks [rb, rb + R) over groups [g0, g1),
// with those blocks' decoded indices (`stride` ints apart). Two row blocks
// share each span load and give 2T independent sums, which the FMA latency
// needs. Sums start at zero for the first block of the reduction and wait
// between blocks in `sums`, the tile's own compact block ([token][row
// block][16], 64-byte aligned); the last block adds the bias and writes y.
// (Kept in y's rows, a row stride apart, they cost 7-14 %: docs/PERF.md,
// N:M item 21.)
template <int R, int T, int SLOTS>
void span_tile_t(const NmView& w, int64_t rb, int64_t g0, int64_t g1, const int32_t* idx0, int64_t stride,
                 const float* x, bool first, bool last, const float* bias, float* y, float* sums) {
  const int gs = groups_per_span(w.m);
  const int64_t per_span = int64_t(gs) * w.n, span_floats = int64_t(gs) * w.m;
  const int32_t* idx[R];
  const float* vals[R];
  __mmask16 keep[R];
  __m512 acc[R][T];
  for (int r = 0; r < R; ++r) {
    idx[r] = idx0 + r * stride;
    vals[r] = nm_block_values(w, rb + r, g0);
    keep[r] = valid_rows(w, rb + r);
    for (int t = 0; t < T; ++t)
      acc[r][t] = first ? _mm512_setzero_ps() : _mm512_load_ps(sums + (t * 2 + r) * kNmLanes);
  }
  const int64_t whole = (g1 - g0) / gs, step = per_span * kNmLanes;
  const __mmask16 span_mask = static_cast<__mmask16>(span_floats < 16 ? (1u << span_floats) - 1u : 0xFFFF);
  const float* xp = x + g0 * w.m;
#if TF_NM_SPAN_ASM
  // The full tile of two slots per span (1:8, 2:16) runs its hot loop written
  // out: there GCC's stack stores cost one per two FMAs. With more slots per
  // span they weigh little, and the written-out loop measured no better.
  if constexpr (R == 2 && T == 8 && SLOTS == 2) {
    if (whole > 0)
      span_run_2x8(&acc[0][0], xp, w.k * int64_t(sizeof(float)), span_floats * int64_t(sizeof(float)), span_mask,
                   idx[0], idx[1], vals[0], vals[1], whole, per_span);
    for (int r = 0; r < R; ++r) idx[r] += whole * step, vals[r] += whole * step;
  } else
#endif
  {
    for (int64_t s = 0; s < whole; ++s) {
      span_step<R, T, SLOTS>(acc, xp + s * span_floats, w.k, span_mask, idx, vals, per_span);
      for (int r = 0; r < R; ++r) idx[r] += step, vals[r] += step;
    }
  }
  const int64_t rest = (g1 - g0) - whole * gs;  // the matrix's last, partial span
  if (rest > 0) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (rest * w.m)) - 1u);
    span_step<R, T, 0>(acc, xp + whole * span_floats, w.k, mask, idx, vals, rest * w.n);
  }
  for (int r = 0; r < R; ++r) {
    if (last && bias) {
      const __m512 b = _mm512_maskz_loadu_ps(keep[r], bias + (rb + r) * kNmLanes);
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_add_ps(acc[r][t], b);
    }
    if (last)
      for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + t * w.rows + r * kNmLanes, keep[r], acc[r][t]);
    else
      for (int t = 0; t < T; ++t) _mm512_store_ps(sums + (t * 2 + r) * kNmLanes, acc[r][t]);
  }
}

// Many tokens: the reduction runs in K blocks whose decoded indices and
// values (128 slots of two row blocks, 32 KiB) stay in L1 while every tile of 8 tokens of a chunk
// visits them, and whose slice of the chunk's activations stays in L2 while
// every pair of row blocks visits it; sums wait in a compact buffer between
// blocks.
constexpr int64_t kSpanChunkTokens = 256;
constexpr int64_t kSpanBlockSlots = 128;
constexpr int64_t kSpanSliceBytes = 512 << 10;
constexpr int64_t kTileTokens = 8;  // the tile tables go up to 8

using SpanTile = void (*)(const NmView&, int64_t, int64_t, int64_t, const int32_t*, int64_t, const float*, bool,
                          bool, const float*, float*, float*);

// The tile for R row blocks, t tokens (1..8) and `per_span` slots per span.
template <int R>
SpanTile span_tile(int per_span, int64_t t) {
#define TF_TILES(S) {&span_tile_t<R, 1, S>, &span_tile_t<R, 2, S>, &span_tile_t<R, 3, S>, &span_tile_t<R, 4, S>, \
                     &span_tile_t<R, 5, S>, &span_tile_t<R, 6, S>, &span_tile_t<R, 7, S>, &span_tile_t<R, 8, S>}
  // Slot counts 2, 4, 8 and 16 (the power-of-two patterns) are compiled
  // fixed; any other count runs the general loop.
  static constexpr SpanTile kTiles[5][8] = {TF_TILES(0), TF_TILES(2), TF_TILES(4), TF_TILES(8), TF_TILES(16)};
#undef TF_TILES
  const int form = per_span == 2 ? 1 : per_span == 4 ? 2 : per_span == 8 ? 3 : per_span == 16 ? 4 : 0;
  return kTiles[form][t - 1];
}

void span_rows(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t tokens, const float* bias, float* y) {
  const int gs = groups_per_span(w.m);
  const int per_span = gs * w.n;
  const int64_t chunk = nm_min(tokens, kSpanChunkTokens);
  int64_t spans = nm_min(kSpanBlockSlots / per_span, kSpanSliceBytes / (chunk * gs * w.m * int64_t(sizeof(float))));
  if (spans < 1) spans = 1;
  const int64_t block = spans * gs;  // groups per K block
  const int64_t stride = block * w.n * kNmLanes;
  const ShiftDecoder shift_decode(w.bits);
  const ByteShiftDecoder byte_decode(w.bits);
  static thread_local AlignedBuffer idx_buf;
  int32_t* idx = reinterpret_cast<int32_t*>(idx_buf.floats(static_cast<size_t>(2 * stride)));
  // Row panels whose partial sums for a chunk stay in L2 between K blocks.
  const int64_t panel = nm_max(2, kSpanSliceBytes / (chunk * kNmLanes * int64_t(sizeof(float))) / 2 * 2);
  // Each pair's tiles' partial sums, one after another: [pair][token][2][16].
  static thread_local AlignedBuffer sums_buf;
  float* sums = sums_buf.floats(static_cast<size_t>(panel * chunk * kNmLanes));
  for (int64_t c0 = 0; c0 < tokens; c0 += chunk) {
    const int64_t c1 = nm_min(tokens, c0 + chunk);
    for (int64_t p0 = rb0; p0 < rb1; p0 += panel) {
      const int64_t p1 = nm_min(rb1, p0 + panel);
      for (int64_t g0 = 0; g0 < w.groups; g0 += block) {
        const int64_t g1 = nm_min(w.groups, g0 + block);
        const bool first = g0 == 0, last = g1 == w.groups;
        for (int64_t rb = p0; rb < p1; rb += 2) {
          const int pair = rb + 1 < p1 ? 2 : 1;
          for (int r = 0; r < pair; ++r) decode_spans(w, rb + r, g0, g1, shift_decode, byte_decode, idx + r * stride);
          for (int64_t t0 = c0; t0 < c1; t0 += kTileTokens) {
            const int64_t t = nm_min(kTileTokens, c1 - t0);
            const SpanTile tile = pair == 2 ? span_tile<2>(per_span, t) : span_tile<1>(per_span, t);
            tile(w, rb, g0, g1, idx, stride, x + t0 * w.k, first, last, bias, y + t0 * w.rows + rb * kNmLanes,
                 sums + ((rb - p0) / 2 * chunk + (t0 - c0)) * 2 * kNmLanes);
          }
        }
      }
    }
  }
}

// Up to 16 tokens decode their indices as they go, up to 12 tokens a pass
// (storing and reloading them would cost more than it saves); more tokens
// decode once per block. At 9-16 tokens this runs 1.2-1.9x faster than the
// span tiles, which there ran the 50 % patterns at 0.7-1.0x dense
// (docs/PERF.md, N:M item 25).
constexpr int64_t kFewMaxTokens = 16;
constexpr int kFewPass = 12;  // tokens one pass takes: 12 sums and 12 groups in registers

void rows_kernel(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t tokens,
                 const float* bias, float* y) {
  using Few = void (*)(const NmView&, int64_t, int64_t, const float*, int64_t, const float*, float*);
#define TF_FEW(M)                                                                                     \
  {&rows_t<1, M>, &rows_t<2, M>, &rows_t<3, M>, &rows_t<4, M>,  &rows_t<5, M>,  &rows_t<6, M>, \
   &rows_t<7, M>, &rows_t<8, M>, &rows_t<9, M>, &rows_t<10, M>, &rows_t<11, M>, &rows_t<12, M>}
  static constexpr Few kFew[5][kFewPass] = {TF_FEW(0), TF_FEW(2), TF_FEW(4), TF_FEW(8), TF_FEW(16)};
#undef TF_FEW
  if (tokens <= kFewMaxTokens) {
    const int form = w.m == 2 ? 1 : w.m == 4 ? 2 : w.m == 8 ? 3 : w.m == 16 ? 4 : 0;
    // Token rows a multiple of 4 KiB apart fall into the same L1 sets; past
    // 8 tokens that evicts what a pass reuses, so such rows are copied a
    // line further apart first (at 12 tokens of k = 3072, 2:4 0.93 -> 1.37x
    // dense). At 8 tokens or fewer the copy costs more than it saves.
    int64_t ldx = w.k;
    if (tokens > 8 && (w.k * int64_t(sizeof(float))) % 4096 == 0) {
      ldx = w.k + kNmLanes;
      static thread_local AlignedBuffer x_buf;
      float* xp = x_buf.floats(static_cast<size_t>(tokens * ldx));
      for (int64_t t = 0; t < tokens; ++t) std::memcpy(xp + t * ldx, x + t * w.k, sizeof(float) * w.k);
      x = xp;
    }
    for (; tokens > kFewPass; tokens -= 8, x += 8 * ldx, y += 8 * w.rows) kFew[form][7](w, rb0, rb1, x, ldx, bias, y);
    return kFew[form][tokens - 1](w, rb0, rb1, x, ldx, bias, y);
  }
  span_rows(w, rb0, rb1, x, tokens, bias, y);
}


}  // namespace

const NmKernels& nm_kernels_avx512() {
  // The permute forms take every token count (no broadcast tile form).
  static const NmKernels k{"avx512-permute", &rows_kernel, nullptr, INT64_MAX, 0};
  return k;
}

}  // namespace tensorfold
