// AVX-512 N:M kernels. Built with the AVX-512 and BMI2 flags only; called
// only when the CPU has them.
#include <immintrin.h>

#include "../../core/aligned_buffer.h"
#include "nm_kernels.h"

namespace tensorfold {
namespace {

// 16 lane indices of one metadata record, as int32 lanes: pdep spreads the
// packed b-bit fields into bytes, which then widen.
inline __m512i decode16(const uint8_t* rec, int bits) {
  const uint64_t r = nm_record(rec);
  const uint64_t field = (uint64_t{1} << bits) - 1;
  const uint64_t mask = field * 0x0101010101010101ull;
  const uint64_t lo = _pdep_u64(r, mask), hi = _pdep_u64(r >> (8 * bits), mask);
  return _mm512_cvtepu8_epi32(_mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo)));
}

inline __mmask16 valid_rows(const NmView& w, int64_t rb) {
  int64_t left = w.rows - rb * kNmLanes;
  return left >= kNmLanes ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
}

// A group of m activations into the low lanes of a register (the rest is not
// read by the permutes). Power-of-two groups take a plain load of their own
// width: a masked load costs more, and a full-width one would split across
// cache lines at most offsets.
template <int M>
inline __m512 load_group(const float* p, __mmask16 gmask) {
  if constexpr (M == 2) return _mm512_castpd_ps(_mm512_castpd128_pd512(_mm_load_sd(reinterpret_cast<const double*>(p))));
  if constexpr (M == 4) return _mm512_castps128_ps512(_mm_loadu_ps(p));
  if constexpr (M == 8) return _mm512_castps256_ps512(_mm256_loadu_ps(p));
  if constexpr (M == 16) return _mm512_loadu_ps(p);
  return _mm512_maskz_loadu_ps(gmask, p);  // M == 0: any other group size
}

// A few tokens of row blocks [rb0, rb1): each token's group of m activations
// sits in one register, and each kept slot is one permute and one FMA for
// 16 rows, its indices decoded as they are used. (Splitting the sums over
// alternate groups, to have more FMA chains in flight at one token, measured
// slower: the decode, not the FMA latency, is what a slot waits on.)
template <int T, int M>
void rows_t(const NmView& w, int64_t rb0, int64_t rb1, const float* x, const float* bias, float* y) {
  const __mmask16 gmask = static_cast<__mmask16>(w.m >= 16 ? 0xFFFF : (1u << w.m) - 1u);
  const int64_t rec_bytes = nm_record_bytes(w);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    __m512 acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
    for (int64_t g = 0; g < w.groups; ++g) {
      __m512 xg[T];
      for (int t = 0; t < T; ++t) xg[t] = load_group<M>(x + t * w.k + g * w.m, gmask);
      const float* vals = nm_block_values(w, rb, g);
      const uint8_t* recs = nm_block_records(w, rb, g);
      for (int s = 0; s < w.n; ++s) {
        const __m512 v = _mm512_loadu_ps(vals + s * kNmLanes);
        const __m512i idx = decode16(recs + s * rec_bytes, w.bits);
        for (int t = 0; t < T; ++t) acc[t] = _mm512_fmadd_ps(v, _mm512_permutexvar_ps(idx, xg[t]), acc[t]);
      }
    }
    const __mmask16 keep = valid_rows(w, rb);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(keep, bias + rb * kNmLanes) : _mm512_setzero_ps();
    for (int t = 0; t < T; ++t)
      _mm512_mask_storeu_ps(y + t * w.rows + rb * kNmLanes, keep, _mm512_add_ps(acc[t], b));
  }
}

// Groups whose activations one 16-float load covers: the span that a set of
// index vectors permutes from.
inline int groups_per_span(int m) { return kNmLanes / m; }

// Row block rb's index vectors, every kept slot in value order, each lane
// offset to its group's place in the span: decoded once, they serve every
// tile of tokens.
void decode_spans(const NmView& w, int64_t rb, int32_t* idx) {
  const int gs = groups_per_span(w.m);
  const int64_t rec_bytes = nm_record_bytes(w);
  const uint8_t* recs = nm_block_records(w, rb, 0);
  for (int64_t g0 = 0; g0 < w.groups; g0 += gs)
    for (int64_t g = g0; g < nm_min(w.groups, g0 + gs); ++g) {
      const __m512i at = _mm512_set1_epi32(static_cast<int>((g - g0) * w.m));
      for (int64_t j = g * w.n; j < (g + 1) * w.n; ++j)
        _mm512_store_si512(idx + j * kNmLanes, _mm512_add_epi32(decode16(recs + j * rec_bytes, w.bits), at));
    }
}

// Tiles of up to 8 tokens of row block rb with decoded indices: one load
// brings a token's whole span, and each kept slot is one index load, one
// permute and one FMA per token.
template <int T>
void span_rows_t(const NmView& w, int64_t rb, const int32_t* idx, const float* x, const float* bias, float* y) {
  const int gs = groups_per_span(w.m);
  const float* vals = nm_block_values(w, rb, 0);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t g0 = 0; g0 < w.groups; g0 += gs) {
    const int64_t g1 = nm_min(w.groups, g0 + gs), width = (g1 - g0) * w.m;
    const __mmask16 mask = static_cast<__mmask16>(width >= 16 ? 0xFFFF : (1u << width) - 1u);
    __m512 xs[T];
    for (int t = 0; t < T; ++t) xs[t] = _mm512_maskz_loadu_ps(mask, x + t * w.k + g0 * w.m);
    for (int64_t j = g0 * w.n; j < g1 * w.n; ++j) {
      const __m512i id = _mm512_load_si512(idx + j * kNmLanes);
      const __m512 v = _mm512_loadu_ps(vals + j * kNmLanes);
      for (int t = 0; t < T; ++t) acc[t] = _mm512_fmadd_ps(v, _mm512_permutexvar_ps(id, xs[t]), acc[t]);
    }
  }
  const __mmask16 keep = valid_rows(w, rb);
  const __m512 b = bias ? _mm512_maskz_loadu_ps(keep, bias + rb * kNmLanes) : _mm512_setzero_ps();
  for (int t = 0; t < T; ++t)
    _mm512_mask_storeu_ps(y + t * w.rows + rb * kNmLanes, keep, _mm512_add_ps(acc[t], b));
}

// Up to 8 tokens decode their indices as they go (storing and reloading
// them would cost more than it saves); more tokens decode once per row block.
void rows_kernel(const NmView& w, int64_t rb0, int64_t rb1, const float* x, int64_t tokens,
                 const float* bias, float* y) {
  using Few = void (*)(const NmView&, int64_t, int64_t, const float*, const float*, float*);
  using Tile = void (*)(const NmView&, int64_t, const int32_t*, const float*, const float*, float*);
#define TF_FEW(M) {&rows_t<1, M>, &rows_t<2, M>, &rows_t<3, M>, &rows_t<4, M>, &rows_t<5, M>, &rows_t<6, M>, &rows_t<7, M>, &rows_t<8, M>}
  static constexpr Few kFew[5][8] = {TF_FEW(0), TF_FEW(2), TF_FEW(4), TF_FEW(8), TF_FEW(16)};
#undef TF_FEW
  static constexpr Tile kTile[8] = {&span_rows_t<1>, &span_rows_t<2>, &span_rows_t<3>, &span_rows_t<4>,
                                    &span_rows_t<5>, &span_rows_t<6>, &span_rows_t<7>, &span_rows_t<8>};
  if (tokens <= 8) {
    const int form = w.m == 2 ? 1 : w.m == 4 ? 2 : w.m == 8 ? 3 : w.m == 16 ? 4 : 0;
    return kFew[form][tokens - 1](w, rb0, rb1, x, bias, y);
  }
  static thread_local AlignedBuffer idx_buf;
  int32_t* idx = reinterpret_cast<int32_t*>(idx_buf.floats(static_cast<size_t>(w.groups * w.n * kNmLanes)));
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    decode_spans(w, rb, idx);
    for (int64_t t0 = 0; t0 < tokens; t0 += 8)
      kTile[nm_min(8, tokens - t0) - 1](w, rb, idx, x + t0 * w.k, bias, y + t0 * w.rows);
  }
}

// The vector type the shared token-tile kernel is written over.
struct Vec {
  using T = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kAccumulators = 16;  // registers the tile kernel may hold as sums
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float* p) { return _mm512_load_ps(p); }
  static T loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, T v) { _mm512_store_ps(p, v); }
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  // out[l] = the address of activation row (row0 + index of lane l in the
  // record), rows ld floats apart from xt: whole addresses, so the kernel's
  // FMAs use base + displacement operands, which stay micro-fused.
  static void row_addresses(const uint8_t* rec, int bits, int64_t row0, const float* xt, int64_t ld, int64_t* out) {
    const __m512i rows = _mm512_add_epi32(decode16(rec, bits), _mm512_set1_epi32(static_cast<int>(row0)));
    const __m512i step = _mm512_set1_epi64(ld * int64_t(sizeof(float)));
    const __m512i base = _mm512_set1_epi64(reinterpret_cast<int64_t>(xt));
    _mm512_storeu_si512(out, _mm512_add_epi64(base, _mm512_mullo_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(rows)), step)));
    _mm512_storeu_si512(out + 8, _mm512_add_epi64(base, _mm512_mullo_epi64(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(rows, 1)), step)));
  }
};

#include "nm_tile.inc"

}  // namespace

const NmKernels& nm_kernels_avx512() {
  static const NmKernels k{"avx512-permute/broadcast", &rows_kernel, &tile_kernel, 48, 16 * kMaxTv};
  return k;
}

}  // namespace tensorfold
