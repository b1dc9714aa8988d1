// References in float64: quadratic, single-threaded, written to be checked by
// reading. The kernels are tested against these (and the TypeScript tests
// against their own float64 versions).
#include <cmath>
#include <vector>

#include "hash_attention.h"

namespace tensorfold {
namespace {

int hamming(const uint64_t* a, const uint64_t* b, int words) {
  int s = 0;
  for (int w = 0; w < words; ++w) s += __builtin_popcountll(a[w] ^ b[w]);
  return s;
}

}  // namespace

void linear_hash_attention_reference(const LinearAttentionArgs& a) {
  const int words = hash_words(a.bits);
  std::vector<double> num(static_cast<size_t>(a.dim));
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t h = 0; h < a.heads; ++h) {
      const int64_t u = b * a.heads + h;
      const float* v = a.v + b * a.lv.batch + h * a.lv.head;
      for (int64_t i = 0; i < a.nq; ++i) {
        const uint64_t* qi = a.qcodes + (u * a.nq + i) * words;
        const int64_t lim = a.causal ? i + 1 : a.nk;
        double den = 0;
        for (auto& x : num) x = 0;
        for (int64_t j = 0; j < lim; ++j) {
          const int s = a.bits - hamming(qi, a.kcodes + (u * a.nk + j) * words, words);
          // exact: s_ij; EcoFormer: the +-1 code dot product 2 s_ij - bits.
          const double w = a.variant == LinearVariant::kEcoformer ? 2.0 * s - a.bits : s;
          for (int64_t d = 0; d < a.dim; ++d) num[d] += w * v[j * a.lv.token + d];
          den += w;
        }
        if (a.variant == LinearVariant::kEcoformer) {
          for (int64_t d = 0; d < a.dim; ++d) num[d] += (a.bits + 1.0) * v[i * a.lv.token + d];
          den += static_cast<double>(lim) * (a.bits + 1);
        }
        float* o = a.out + b * a.lo.batch + h * a.lo.head + i * a.lo.token;
        for (int64_t d = 0; d < a.dim; ++d) o[d] = den != 0 ? static_cast<float>(num[d] / den) : 0.0f;
      }
    }
}

void hamming_attention_reference(const HammingAttentionArgs& a) {
  const int words = hash_words(a.bits);
  std::vector<double> num(static_cast<size_t>(a.dim));
  std::vector<int> dist(static_cast<size_t>(a.nk));
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t h = 0; h < a.heads; ++h) {
      const int64_t u = b * a.heads + h;
      const float* v = a.v + b * a.lv.batch + h * a.lv.head;
      for (int64_t i = 0; i < a.nq; ++i) {
        const int64_t lim = a.causal ? i + 1 : a.nk;
        int best = a.bits + 1;
        for (int64_t j = 0; j < lim; ++j) {
          dist[j] = hamming(a.qcodes + (u * a.nq + i) * words, a.kcodes + (u * a.nk + j) * words, words);
          best = dist[j] < best ? dist[j] : best;
        }
        // Keep the topk nearest keys, ties to the lower index: key j is kept
        // when fewer than topk keys come before it in (distance, index) order.
        std::vector<bool> keep(static_cast<size_t>(lim), true);
        if (a.topk > 0 && a.topk < lim)
          for (int64_t j = 0; j < lim; ++j) {
            int64_t ahead = 0;
            for (int64_t l = 0; l < lim; ++l) ahead += dist[l] < dist[j] || (dist[l] == dist[j] && l < j);
            keep[j] = ahead < a.topk;
          }
        double den = 0;
        for (auto& x : num) x = 0;
        for (int64_t j = 0; j < lim; ++j) {
          if (!keep[j]) continue;
          // softmax of scale * (bits - 2 dist), shifted by its max.
          const double w = std::exp(-2.0 * a.scale * (dist[j] - best));
          for (int64_t d = 0; d < a.dim; ++d) num[d] += w * v[j * a.lv.token + d];
          den += w;
        }
        float* o = a.out + b * a.lo.batch + h * a.lo.head + i * a.lo.token;
        for (int64_t d = 0; d < a.dim; ++d) o[d] = den > 0 ? static_cast<float>(num[d] / den) : 0.0f;
      }
    }
}

void softmax_attention_reference(const SoftmaxAttentionArgs& a) {
  std::vector<double> s(static_cast<size_t>(a.nk)), num(static_cast<size_t>(a.dim_v));
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t h = 0; h < a.heads; ++h) {
      const float* q = a.q + b * a.lq.batch + h * a.lq.head;
      const float* k = a.k + b * a.lk.batch + h * a.lk.head;
      const float* v = a.v + b * a.lv.batch + h * a.lv.head;
      for (int64_t i = 0; i < a.nq; ++i) {
        const int64_t lim = a.causal ? i + 1 : a.nk;
        double mx = -INFINITY;
        for (int64_t j = 0; j < lim; ++j) {
          double x = 0;
          for (int64_t d = 0; d < a.dim; ++d) x += double(q[i * a.lq.token + d]) * k[j * a.lk.token + d];
          s[j] = a.scale * x;
          mx = s[j] > mx ? s[j] : mx;
        }
        double den = 0;
        for (auto& x : num) x = 0;
        for (int64_t j = 0; j < lim; ++j) {
          const double w = std::exp(s[j] - mx);
          for (int64_t d = 0; d < a.dim_v; ++d) num[d] += w * v[j * a.lv.token + d];
          den += w;
        }
        float* o = a.out + b * a.lo.batch + h * a.lo.head + i * a.lo.token;
        for (int64_t d = 0; d < a.dim_v; ++d) o[d] = den > 0 ? static_cast<float>(num[d] / den) : 0.0f;
      }
    }
}

}  // namespace tensorfold
