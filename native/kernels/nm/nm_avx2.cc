// AVX2 N:M kernels (8-lane registers). Built with the AVX2, FMA and BMI2
// flags only; called only when the CPU has them.
#include <immintrin.h>

#include "../../core/cpu_features.h"
#include "nm_kernels.h"

namespace tensorfold {
namespace {

// Indices of lanes [8h, 8h + 8) of a record, as int32 lanes. With pdep in
// hardware it spreads the half's fields into bytes, which widen; without it
// (microcoded on AMD before Zen 3, hundreds of cycles) the half's eight
// fields of at most 4 bits, one 32-bit word, are broadcast and shifted per
// lane — a little slower where pdep is fast (docs/PERF.md, N:M item 20).
template <bool kPdep>
inline __m256i decode8(uint64_t record, int half, int bits) {
  const uint64_t r = record >> (8 * bits * half);
  if constexpr (kPdep) {
    const uint64_t bytes = _pdep_u64(r, ((uint64_t{1} << bits) - 1) * 0x0101010101010101ull);
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(bytes)));
  } else {
    const __m256i shift = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(bits));
    const __m256i word = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(r)));
    return _mm256_and_si256(_mm256_srlv_epi32(word, shift), _mm256_set1_epi32((1 << bits) - 1));
  }
}

inline __m256i lane_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Selects group element idx[l] for each lane from a group of up to 16
// values held in two registers.
inline __m256 select(__m256 lo, __m256 hi, __m256i idx, bool wide) {
  __m256 r = _mm256_permutevar8x32_ps(lo, idx);
  if (!wide) return r;
  const __m256 h = _mm256_permutevar8x32_ps(hi, idx);  // uses idx & 7
  return _mm256_blendv_ps(r, h, _mm256_castsi256_ps(_mm256_cmpgt_epi32(idx, _mm256_set1_epi32(7))));
}

// Row block rb's sums (+ bias) for T tokens into y, its padding rows left out.
template <int T>
inline void store_rows(const NmView& w, int64_t rb, const __m256 (&acc)[T][2], const float* bias, float* y) {
  const int64_t left = w.rows - rb * kNmLanes;
  for (int h = 0; h < 2; ++h) {
    const __m256i keep = lane_mask(left - 8 * h);
    const __m256 b = bias ? _mm256_maskload_ps(bias + rb * kNmLanes + 8 * h, keep) : _mm256_setzero_ps();
    for (int t = 0; t < T; ++t)
      _mm256_maskstore_ps(y + t * w.rows + rb * kNmLanes + 8 * h, keep, _mm256_add_ps(acc[t][h], b));
  }
}

template <int T, bool kPdep>
void rows_t(const NmView& w, int64_t rb0, int64_t rb1, const float* x, const float* bias, float* y) {
  const bool wide = w.m > 8;
  const __m256i mlo = lane_mask(w.m), mhi = lane_mask(w.m - 8);
  const int64_t rec_bytes = nm_record_bytes(w);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    __m256 acc[T][2];
    for (int t = 0; t < T; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_ps();
    for (int64_t g = 0; g < w.groups; ++g) {
      __m256 lo[T], hi[T];
      for (int t = 0; t < T; ++t) {
        const float* xg = x + t * w.k + g * w.m;
        lo[t] = _mm256_maskload_ps(xg, mlo);
        hi[t] = wide ? _mm256_maskload_ps(xg + 8, mhi) : lo[t];
      }
      const float* vals = nm_block_values(w, rb, g);
      const uint8_t* recs = nm_block_records(w, rb, g);
      for (int s = 0; s < w.n; ++s) {
        const uint64_t rec = nm_record(recs + s * rec_bytes);
        for (int h = 0; h < 2; ++h) {
          const __m256 v = _mm256_loadu_ps(vals + s * kNmLanes + 8 * h);
          const __m256i idx = decode8<kPdep>(rec, h, w.bits);
          for (int t = 0; t < T; ++t) acc[t][h] = _mm256_fmadd_ps(v, select(lo[t], hi[t], idx, wide), acc[t][h]);
        }
      }
    }
    store_rows<T>(w, rb, acc, bias, y);
  }
}

// Power-of-two groups of up to 8 (1:2, 2:4, 1:4, 2:8, 4:8, 1:8): each
// token's group fills a register by one load that repeats it (2 floats to
// every pair, 4 to each 128-bit half, or 8), so a lane's field selects the
// right element whatever bits lie above it: a record half is decoded by one
// broadcast from memory and one per-lane shift, no mask and no pdep. That
// halves the work per kept slot where there is one token to share it.
// A row block's slots stream in storage order with stepping pointers.
template <int T, int M>
void rows_pow2_t(const NmView& w, int64_t rb0, int64_t rb1, const float* x, const float* bias, float* y) {
  static_assert(M == 2 || M == 4 || M == 8, "groups of 2, 4 or 8");
  // One token has two sums, too few to hide the FMA latency once the decode
  // is this cheap, so groups take turns over four chains, summed at the end.
  constexpr int C = T == 1 ? 4 : T == 2 ? 2 : 1;
  const __m256i shift = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(w.bits));
  const int n = w.n;
  const int64_t rec_bytes = nm_record_bytes(w), half_bytes = w.bits;
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    const float* v = nm_block_values(w, rb, 0);
    const uint8_t* rec = nm_block_records(w, rb, 0);
    const float* xp = x;
    __m256 acc[C][T][2];
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < T; ++t) acc[c][t][0] = acc[c][t][1] = _mm256_setzero_ps();
    auto group = [&](__m256 (&a)[T][2]) {
      __m256 xg[T];
      for (int t = 0; t < T; ++t) {
        const float* p = xp + t * w.k;
        if constexpr (M == 2) xg[t] = _mm256_castpd_ps(_mm256_broadcast_sd(reinterpret_cast<const double*>(p)));
        if constexpr (M == 4) xg[t] = _mm256_broadcast_ps(reinterpret_cast<const __m128*>(p));
        if constexpr (M == 8) xg[t] = _mm256_loadu_ps(p);
      }
      for (int s = 0; s < n; ++s) {
        for (int h = 0; h < 2; ++h) {
          // Lanes 8h.. start at bit 8 * bits * h: byte bits * h of the record
          // (a read past the last record lands in the storage's padding).
          const float* word = reinterpret_cast<const float*>(rec + half_bytes * h);
          const __m256i idx = _mm256_srlv_epi32(_mm256_castps_si256(_mm256_broadcast_ss(word)), shift);
          const __m256 vs = _mm256_loadu_ps(v + 8 * h);
          for (int t = 0; t < T; ++t) {
            const __m256 sel = M == 8 ? _mm256_permutevar8x32_ps(xg[t], idx) : _mm256_permutevar_ps(xg[t], idx);
            a[t][h] = _mm256_fmadd_ps(vs, sel, a[t][h]);
          }
        }
        v += kNmLanes;
        rec += rec_bytes;
      }
      xp += M;
    };
    nm_groups_over_chains<C>(w.groups, acc, group);
    for (int c = 1; c < C; ++c)
      for (int t = 0; t < T; ++t)
        for (int h = 0; h < 2; ++h) acc[0][t][h] = _mm256_add_ps(acc[0][t][h], acc[c][t][h]);
    store_rows<T>(w, rb, acc[0], bias, y);
  }
}

// The two rows forms, each for T tokens.
template <int M>
struct Pow2Form {
  template <int T>
  static void run(const NmView& w, int64_t rb0, int64_t rb1, const float* x, const float* bias, float* y) {
    rows_pow2_t<T, M>(w, rb0, rb1, x, bias, y);
  }
};
template <bool kPdep>
struct AnyForm {
  template <int T>
  static void run(const NmView& w, int64_t rb0, int64_t rb1, const float* x, const float* bias, float* y) {
    rows_t<T, kPdep>(w, rb0, rb1, x, bias, y);
  }
};

// Any token count as passes of up to four tokens.
template <class Form>
void in_passes(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t tokens, const float* bias, float* y) {
  for (; tokens > 4; tokens -= 4, x += 4 * w.k, y += 4 * w.rows) Form::template run<4>(w, rb0, rb1, x, bias, y);
  switch (tokens) {
    case 1: return Form::template run<1>(w, rb0, rb1, x, bias, y);
    case 2: return Form::template run<2>(w, rb0, rb1, x, bias, y);
    case 3: return Form::template run<3>(w, rb0, rb1, x, bias, y);
    case 4: return Form::template run<4>(w, rb0, rb1, x, bias, y);
  }
}

void rows_kernel(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t tokens,
                 const float* bias, float* y) {
  if (w.m == 2) return in_passes<Pow2Form<2>>(w, rb0, rb1, x, tokens, bias, y);
  if (w.m == 4) return in_passes<Pow2Form<4>>(w, rb0, rb1, x, tokens, bias, y);
  if (w.m == 8) return in_passes<Pow2Form<8>>(w, rb0, rb1, x, tokens, bias, y);
  if (cpu_features().fast_pdep) return in_passes<AnyForm<true>>(w, rb0, rb1, x, tokens, bias, y);
  in_passes<AnyForm<false>>(w, rb0, rb1, x, tokens, bias, y);
}

// The vector type the shared token-tile kernel is written over.
struct Vec {
  using T = __m256;
  static constexpr int kWidth = 8;
  static constexpr int kAccumulators = 8;  // registers the tile kernel may hold as sums
  static T zero() { return _mm256_setzero_ps(); }
  static T load(const float* p) { return _mm256_load_ps(p); }
  static T loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, T v) { _mm256_store_ps(p, v); }
  static T set1(float v) { return _mm256_set1_ps(v); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  // out[l] = the address of activation row (row0 + index of lane l in the
  // record), rows ld floats apart from xt (see the AVX-512 tier).
  static void row_addresses(const uint8_t* rec, int bits, int64_t row0, const float* xt, int64_t ld, int64_t* out) {
    const uint64_t r = nm_record(rec);
    const bool pdep = cpu_features().fast_pdep;
    const __m256i step = _mm256_set1_epi64x(ld * int64_t(sizeof(float)));
    const __m256i base = _mm256_set1_epi64x(reinterpret_cast<int64_t>(xt));
    for (int h = 0; h < 2; ++h) {
      const __m256i idx = pdep ? decode8<true>(r, h, bits) : decode8<false>(r, h, bits);
      const __m256i rows = _mm256_add_epi32(idx, _mm256_set1_epi32(static_cast<int>(row0)));
      // rows < 2^31 and the step < 2^32, so mul_epu32 is exact.
      const __m256i lo = _mm256_mul_epu32(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(rows)), step);
      const __m256i hi = _mm256_mul_epu32(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(rows, 1)), step);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * h), _mm256_add_epi64(base, lo));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * h + 4), _mm256_add_epi64(base, hi));
    }
  }
};

#include "nm_tile.inc"

}  // namespace

// Up to 16 tokens the rows form, in passes of four, beats the broadcast
// tile: at 9-16 tokens 1.1-1.5x where the tile ran 0.5-0.9x dense for the
// 50 % patterns; past 16 it loses for the sparser ones (docs/PERF.md, N:M
// item 22).
constexpr int64_t kRowsMaxTokens = 16;

const NmKernels& nm_kernels_avx2() {
  static const NmKernels k{"avx2-permute/broadcast", &rows_kernel, &tile_kernel, kRowsMaxTokens, 8 * kMaxTv};
  return k;
}

}  // namespace tensorfold
