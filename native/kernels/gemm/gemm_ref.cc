// Reference GEMM: the definition, accumulated in float64, for tests.
#include "gemm.h"

namespace tensorfold {

void sgemm_reference(const GemmArgs& g) {
  auto a = [&](int64_t i, int64_t p) { return g.a_rows ? g.a[g.a_rows[i] + g.a_cols[p]] : g.a[i * g.rs_a + p * g.cs_a]; };
  auto b = [&](int64_t p, int64_t j) { return g.b_rows ? g.b[g.b_rows[p] + g.b_cols[j]] : g.b[p * g.rs_b + j * g.cs_b]; };
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < g.k; ++p) acc += static_cast<double>(a(i, p)) * static_cast<double>(b(p, j));
      float* out = g.c + i * g.rs_c + j;
      double prev = g.beta == 0.0f ? 0.0 : static_cast<double>(g.beta) * *out;
      *out = static_cast<float>(static_cast<double>(g.alpha) * acc + prev);
    }
  }
}

}  // namespace tensorfold
