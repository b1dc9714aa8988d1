// The contract between the hash-attention drivers (generic translation units:
// threading, scratch, GEMM calls) and the per-tier kernels. Tier files include
// only this header and define everything else with internal linkage, so no
// function compiled with a tier's flags can stand in for another tier's.
#pragma once
#include <cstdint>

namespace tensorfold {

// One (batch, head) of linear hash attention, restricted to a block of at most
// `linear_block` value columns (v, out, p, vsum and wsum point at its first).
struct LinearHead {
  int64_t nq = 0, nk = 0;
  int bits = 0, words = 0;
  int64_t width = 0;  // columns in this block
  const uint64_t* qcodes = nullptr;  // [nq][words], or null: append only
  const uint64_t* kcodes = nullptr;  // [nk][words], or null: attend only
  const float* v = nullptr;
  int64_t ldv = 0;
  float* out = nullptr;
  int64_t ldo = 0;
  bool causal = false;
  int variant = 0;  // LinearVariant
  // Causal running state (see LinearStateArgs); p rows `ldp` apart.
  float* p = nullptr;
  int64_t ldp = 0;
  float* vsum = nullptr;
  float* wsum = nullptr;
  int32_t* counts = nullptr;  // read at the start; written back when write_state_counts
  double* length = nullptr;
  bool write_state_counts = false;
};

// Scratch for one LinearHead call, carved by the driver (linear_scratch_layout).
struct LinearScratch {
  void* kmask = nullptr;  // kLinearTokenBlock * mask_stride masks (4 bytes each at most)
  void* qmask = nullptr;
  float* ptable = nullptr;  // bits * kLinearMaxBlock, non-causal P
  float* coef = nullptr;    // 2 * kLinearTokenBlock
  int64_t* den = nullptr;   // kLinearTokenBlock
  int32_t* counts = nullptr;  // round_up(bits, 64)
  float* vsum = nullptr;      // kLinearMaxBlock
  float* wsum = nullptr;      // kLinearMaxBlock
  // Nibble tables of the non-causal path for long sequences: ceil(bits / 4)
  // tables of 16 rows of kLinearMaxBlock floats, and 16 counts per table.
  float* tables = nullptr;
  int32_t* table_counts = nullptr;
};

// From this many keys (and queries) on, non-causal linear attention goes by
// nibble tables (see hash_linear.inc): building them costs about 12 * bits *
// dim additions per head, and they save 3/4 of the n * bits * dim of each sweep.
constexpr int64_t kLinearTableMin = 64;

constexpr int64_t kLinearTokenBlock = 64;  // tokens whose masks and values stay in L1
constexpr int64_t kLinearMaxBlock = 64;     // widest value-column block of any tier

// Hamming distances of mq query codes against nk key codes in plane layout:
// q row i is `planes` uint32 words at q + i * ldq; key j's plane p is
// kp[p * ldk + j]. Padding bits are zero in both.
using HammingTileFn = void (*)(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp,
                               int64_t ldk, int64_t nk, int planes, int32_t* dist, int64_t ldd);
// Causal masks are given as diag = i0 - j0 (the tile's first query index
// minus its first key index): row i may use columns j < limit_i = clamp(diag
// + i + 1, 0, cols); kNoCausal allows every column.
constexpr int64_t kNoCausal = int64_t{1} << 62;

// hmin[i] = min(hmin[i], distance over the allowed columns).
using HammingMinFn = void (*)(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp,
                              int64_t ldk, int64_t nk, int planes, int64_t diag, int32_t* hmin);
// w[i][j] = exp(c * (dist - hmin[i])) for allowed columns, 0 for the others;
// rowsum[i] += sum_j w[i][j].
using HammingWeightsFn = void (*)(const uint32_t* q, int64_t ldq, int64_t mq, const uint32_t* kp,
                                  int64_t ldk, int64_t nk, int planes, int64_t diag,
                                  const int32_t* hmin, float c, float* w, int64_t ldw,
                                  float* rowsum);

struct HammingKernels {
  const char* name;
  HammingTileFn tile;
  HammingMinFn min;
  HammingWeightsFn weights;
};

struct HashTierKernels {
  const char* name;
  int64_t linear_block;  // value columns per LinearHead call (<= kLinearMaxBlock)
  int mask_bytes;        // bytes per expanded mask (2 or 4)
  int64_t mask_align;    // masks per token row rounded up to this
  void (*linear_head)(const LinearHead& h, const LinearScratch& s);
  HammingKernels hamming;  // the tier's portable popcount
  // One step of the online softmax on a transposed score tile st (keys x
  // queries, row stride ld): per query column j, m[j] = running max (updated),
  // corr[j] = exp(m_old - m_new), st := exp(st - m_new), l = l * corr + the
  // column's sum. Key p may be used by query j when p < diag + j + 1 (see
  // above); other entries become 0.
  void (*softmax_cols)(float* st, int64_t ld, int64_t keys, int64_t queries, int64_t diag, float* m,
                       float* l, float* corr);
  // out[i][j] = sum_p x[i * ldx + p] b[p * n + j] for i < rows, j < n: the
  // projections of hashing, where n (bits, anchors) is small and b stays in
  // cache, so no packing is worth it.
  void (*rows_times)(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int64_t n,
                     float* out, int64_t ldo);
  // codes row i = bits of [x_i . b[:, t] > 0] (b: k x bits, row-major), the
  // projection and sign in one pass; returns the first row with a non-finite
  // projection, or -1.
  int64_t (*rows_sign)(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* b, int bits,
                       uint64_t* codes, int words);
  // The machine's masked-add ceiling for the linear sweeps: `iters` rounds
  // of 16 independent masked vector adds with the mask already in a
  // register (what the sweeps would do with free mask loads). Returns a value
  // that depends on every add.
  float (*masked_add_peak)(int64_t iters);
  int64_t peak_adds_per_iter;  // float additions in one round
  // In place: g[i][a] (= x_i . c_a) becomes exp(-gamma * max(0, xa[i] + cn[a]
  // + xb[i] * g)) - mean[a].
  void (*rbf)(float* g, int64_t ldg, int64_t rows, int64_t m, const float* xa, const float* xb,
              const float* cn, float gamma, const float* mean);
};

const HashTierKernels& hash_kernels_generic();
const HashTierKernels& hash_kernels_avx2();
const HashTierKernels& hash_kernels_avx512();
// AVX-512 VPOPCNTDQ; only when cpu_features().avx512_vpopcntdq.
const HammingKernels& hamming_kernels_vpopcnt();

}  // namespace tensorfold
