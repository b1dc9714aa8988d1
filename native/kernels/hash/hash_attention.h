// Binarized hash attention: b-bit codes of queries and keys, attention whose
// similarity is the number of bits two codes share, and the exact softmax
// attention it is measured against. Plain C++: the addon, the bench harness
// and the self-tests call these.
//
// Operands are [batch, heads, seq, dim] described by strides, so the
// [batch, seq, heads * dim] layout is a view, not a copy. Codes are
// [batch, heads, seq, words] uint64, contiguous: bit t of a code is bit t % 64
// of word t / 64, and the padding bits past `bits` are zero.
#pragma once
#include <cstdint>
#include <vector>

#include "../../core/cpu_features.h"

namespace tensorfold {

constexpr int kMaxHashBits = 256;

inline int hash_words(int bits) { return (bits + 63) / 64; }

// Element (b, h, s, d) of an operand is at data[b * batch + h * head + s * token + d].
struct HeadLayout {
  int64_t batch = 0, head = 0, token = 0;
};

// ---- hashing ---------------------------------------------------------------

enum class HashKind : int { kSimhash = 0, kKernel = 1 };

// A hash function for `heads` heads (1: one function shared by every head).
//  simhash: bit t = [x . planes[:, t] > 0], planes [heads][dim][bits].
//  kernel:  phi_a = exp(-gamma * |x' - c_a|^2) - mean_a over m anchors c_a
//           (x' = x / |x| when normalize), bit t = [sum_a weights[t][a] phi_a > 0];
//           centers [heads][m][dim], weights [heads][bits][m], mean [heads][m], gamma [heads].
struct HashParams {
  HashKind kind = HashKind::kSimhash;
  int bits = 0;
  int64_t dim = 0;
  int64_t heads = 1;
  const float* planes = nullptr;
  int64_t anchors = 0;
  const float* centers = nullptr;
  const float* weights = nullptr;
  const float* mean = nullptr;
  const float* gamma = nullptr;
  bool normalize = false;
};

struct HashCodesArgs {
  int64_t batch = 0, heads = 0, seq = 0;
  const float* x = nullptr;
  HeadLayout lx;
  HashParams fn;
  uint64_t* codes = nullptr;  // [batch, heads, seq, hash_words(bits)]
};

// Fills args.codes. Returns -1, or the flat index (b * heads + h) * seq + s of
// the first token whose projection is not finite (a NaN or an infinity in x).
int64_t hash_codes(const HashCodesArgs& args, int max_threads = 0);
int64_t hash_codes_on_tier(IsaTier tier, const HashCodesArgs& args, int max_threads);

// ---- attention on codes ----------------------------------------------------

// kExact:     out_i = sum_j s_ij v_j / sum_j s_ij, s_ij = bits - Hamming(q_i, k_j)
//             (zero where every s_ij is zero).
// kEcoformer: the form of EcoFormer's released code, sigma = +-1 codes:
//             out_i = (sum_j (sigma_i . sigma_j) v_j + (bits + 1) v_i)
//                     / (sum_j (sigma_i . sigma_j) + n (bits + 1)).
enum class LinearVariant : int { kExact = 0, kEcoformer = 1 };

struct LinearAttentionArgs {
  int64_t batch = 0, heads = 0, nq = 0, nk = 0, dim = 0;  // dim: of v and out
  int bits = 0;
  const uint64_t* qcodes = nullptr;
  const uint64_t* kcodes = nullptr;
  const float* v = nullptr;
  HeadLayout lv;
  float* out = nullptr;
  HeadLayout lo;
  bool causal = false;  // needs nq == nk; query i sees keys j <= i
  LinearVariant variant = LinearVariant::kExact;
};

// O(seq * bits * dim) additions; no multiplications in the loops over bits.
void linear_hash_attention(const LinearAttentionArgs& args, int max_threads = 0);
void linear_hash_attention_on_tier(IsaTier tier, const LinearAttentionArgs& args, int max_threads);

// Running sums of causal linear hash attention, one set per (batch, head):
//   p[u][t][d] = sum_j bit_t(k_j) v_j[d]    counts[u][t] = sum_j bit_t(k_j)
//   vsum[u][d] = sum_j v_j[d]               wsum[u][d] = sum_j popcount(k_j) v_j[d]
//   length[u]  = tokens appended
// (The +-1 sums of the formulation, sum_j sigma_j v_j^T and sum_j sigma_j, are
// 2 p - vsum and 2 counts - length.) A step appends `n` tokens and, when
// qcodes is set, attends each query to every token up to its own: the result
// equals the causal computation over the whole sequence, bit for bit. With
// kcodes null it only attends (queries see the whole state); with qcodes null
// it only appends.
struct LinearStateArgs {
  int64_t units = 0, dim = 0, n = 0;  // units = batch * heads
  int bits = 0;
  float* p = nullptr;
  float* vsum = nullptr;
  float* wsum = nullptr;
  int32_t* counts = nullptr;
  double* length = nullptr;
  const uint64_t* qcodes = nullptr;  // [units, n, words] or null
  const uint64_t* kcodes = nullptr;  // [units, n, words] or null
  const float* v = nullptr;          // [units, n, dim] by layout (batch stride = heads * head)
  int64_t heads = 1;
  HeadLayout lv;
  float* out = nullptr;
  HeadLayout lo;
  LinearVariant variant = LinearVariant::kExact;
};
void linear_hash_state_step(const LinearStateArgs& args, int max_threads = 0);
void linear_hash_state_step_on_tier(IsaTier tier, const LinearStateArgs& args, int max_threads);

// Softmax over logits scale * (bits - 2 Hamming(q_i, k_j)) (the +-1 code dot
// product), optionally over only the topk keys of least Hamming distance per
// query (ties: lower key index first). Scores by XOR + popcount.
struct HammingAttentionArgs {
  int64_t batch = 0, heads = 0, nq = 0, nk = 0, dim = 0;
  int bits = 0;
  const uint64_t* qcodes = nullptr;
  const uint64_t* kcodes = nullptr;
  const float* v = nullptr;
  HeadLayout lv;
  float* out = nullptr;
  HeadLayout lo;
  bool causal = false;
  float scale = 1.0f;
  int64_t topk = 0;  // 0: every key
  bool portable_popcount = false;  // never use VPOPCNTDQ (tests of the fallback)
};
void hamming_attention(const HammingAttentionArgs& args, int max_threads = 0);
void hamming_attention_on_tier(IsaTier tier, const HammingAttentionArgs& args, int max_threads);

// dist[u][i][j] = Hamming(q[u][i], k[u][j]) for units u (batch * heads).
void hamming_distances(IsaTier tier, int64_t units, int64_t nq, int64_t nk, int bits,
                       const uint64_t* qcodes, const uint64_t* kcodes, int32_t* dist,
                       bool portable_popcount, int max_threads);

// The popcount kernel a tier runs, e.g. "avx512-vpopcntdq".
const char* hash_popcount_name(IsaTier tier, bool portable_popcount);

// ---- exact softmax attention ----------------------------------------------

// out = softmax(scale * q k^T) v, blocked with an online softmax (the score
// matrix is never formed), the products on the GEMM kernels.
struct SoftmaxAttentionArgs {
  int64_t batch = 0, heads = 0, nq = 0, nk = 0, dim = 0, dim_v = 0;
  const float* q = nullptr;
  HeadLayout lq;
  const float* k = nullptr;
  HeadLayout lk;
  const float* v = nullptr;
  HeadLayout lv;
  float* out = nullptr;
  HeadLayout lo;
  bool causal = false;  // needs nq == nk
  float scale = 1.0f;
};
void softmax_attention(const SoftmaxAttentionArgs& args, int max_threads = 0);
void softmax_attention_on_tier(IsaTier tier, const SoftmaxAttentionArgs& args, int max_threads);

// ---- references (float64, quadratic, single-threaded) -----------------------

void linear_hash_attention_reference(const LinearAttentionArgs& args);
void hamming_attention_reference(const HammingAttentionArgs& args);
void softmax_attention_reference(const SoftmaxAttentionArgs& args);

}  // namespace tensorfold

namespace tensorfold {

// ---- score throughput (for timing) -------------------------------------------

// Score computation as an attention kernel consumes it: every query against
// every key, `rows` queries at a time into one tile per thread that is reused
// (so the figure is the kernel's, not the memory system's; Hamming tiles also
// split keys in blocks of 256 to stay in L1). Hamming: keys in plane layout
// from hamming_key_planes. QK^T: fp32 on the GEMM kernels.
std::vector<uint32_t> hamming_key_planes(int64_t units, int64_t nk, int bits, const uint64_t* kcodes);
void hamming_scores_blocked(IsaTier tier, int64_t units, int64_t n, int bits, const uint64_t* qcodes,
                            const uint32_t* kplanes, int64_t rows, bool portable_popcount,
                            int max_threads);
// The masked-add ceiling of a tier's linear sweeps (see HashTierKernels).
struct MaskedAddProbe {
  float (*run)(int64_t iters);
  int64_t adds_per_iter;
};
MaskedAddProbe masked_add_probe(IsaTier tier);

void qk_scores_blocked(IsaTier tier, int64_t units, int64_t n, int64_t dim, const float* q,
                       const float* k, int64_t rows, int max_threads);

}  // namespace tensorfold
