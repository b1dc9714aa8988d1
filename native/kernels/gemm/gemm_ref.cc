// Reference GEMM: the definition, accumulated in float64, for tests.
#include "gemm.h"

namespace tensorfold {

void sgemm_reference(const GemmArgs& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < g.k; ++p)
        acc += static_cast<double>(g.a[i * g.rs_a + p * g.cs_a]) *
               static_cast<double>(g.b[p * g.rs_b + j * g.cs_b]);
      float* out = g.c + i * g.rs_c + j;
      double prev = g.beta == 0.0f ? 0.0 : static_cast<double>(g.beta) * *out;
      *out = static_cast<float>(static_cast<double>(g.alpha) * acc + prev);
    }
  }
}

}  // namespace tensorfold
