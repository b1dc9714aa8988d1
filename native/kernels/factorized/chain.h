// A factorized layer's forward pass as a fixed chain of steps (strided GEMMs,
// permuted copies, sums of products) over token-major buffers: the input X,
// the output Y, two scratch buffers and the layer's own weights.
//
// Every token-major buffer stores its tokens one after another, so a block
// of T consecutive tokens is again such a buffer, T times a per-token size.
// Steps are written for a block of any T: a GEMM's rows or one of its loops,
// or one dim of a nest, has extent T. That lets the same chain run
//   - fused: blocked over tokens, each thread taking whole blocks, so a
//     block's intermediates stay in that core's cache (HEAT's fused einsum
//     mapping), or
//   - unfused: one block of all tokens, every step threaded on its own and
//     each intermediate materialised for the whole batch.
// Plain C++: no Node headers.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "../gemm/gemm_pack.h"

namespace tensorfold {

enum class ChainBuf : int { kX = 0, kY = 1, kS0 = 2, kS1 = 3, kWeight = 4 };

struct ChainRef {
  ChainBuf buf = ChainBuf::kX;
  int weight = -1;     // which weight, when buf == kWeight
  int64_t offset = 0;  // elements from the start of the block (or weight)
};

// One loop around a GEMM: size (T when `token`) and the element stride it
// moves A, B and C by.
struct ChainLoop {
  int64_t size = 1;
  bool token = false;
  int64_t sa = 0, sb = 0, sc = 0;
};

struct ChainStep {
  enum class Kind { kGemm, kPermute, kSumProduct } kind = Kind::kGemm;

  // kGemm: C[i, j] = sum_p A[i, p] B[p, j] for every loop position, with
  // i < m (T * m when m_token), j < n, p < k.
  int64_t m = 0, n = 0, k = 0;
  bool m_token = false;
  int64_t rs_a = 0, cs_a = 0, rs_b = 0, cs_b = 0, rs_c = 0;
  ChainRef a, b, c;
  std::vector<ChainLoop> loops;
  int packed = -1;  // B pre-packed (index into Chain::packed), when B is a weight no loop moves
  // B is a narrow weight run by small_n_gemm (index into Chain::narrow);
  // then at most one loop, over tokens, which moves A and C only.
  int narrow = -1;
  // A is a weight packed once for the microkernel (index into
  // Chain::weight_left): per token, C_t = A · B_t with the activation B_t
  // read in place (unit column stride) and C_t written in full; then exactly
  // one loop, over tokens, which moves B and C only.
  int weight_left = -1;

  // kPermute (out = ins[0]) and kSumProduct (out = sum over the dims whose
  // out stride is 0 of the product of ins): a loop nest; dim token_dim (if
  // >= 0) has extent T.
  std::vector<int64_t> shape;
  int token_dim = -1;
  std::vector<ChainRef> ins;
  std::vector<std::vector<int64_t>> in_strides;
  ChainRef out;
  std::vector<int64_t> out_strides;
};

struct Chain {
  int64_t in_features = 0, out_features = 0;  // per-token sizes of X and Y
  int64_t scratch[2] = {0, 0};                // per-token sizes of S0 and S1
  std::vector<std::vector<float>> weights;
  std::vector<std::unique_ptr<PackedB>> packed;
  // Narrow weights copied to rows of small_n_ldw(n) floats, zero-padded.
  std::vector<std::vector<float>> narrow;
  // Left-hand weights in the A micro-panels of `weight_left_tier`'s kernel.
  std::vector<std::vector<float>> weight_left;
  IsaTier weight_left_tier = IsaTier::kGeneric;
  std::vector<ChainStep> steps;
  std::vector<float> bias;  // empty: none

  // Per-token size of a token-major buffer.
  int64_t per_token(ChainBuf b) const;
};

// Y[tokens, out] = chain(X[tokens, in]). `block` is the target tokens per
// block when fused (the count is rounded so that threads get equal shares).
void chain_run(const Chain& chain, const float* x, float* y, int64_t tokens, int64_t block, bool fused,
               int max_threads);

}  // namespace tensorfold
