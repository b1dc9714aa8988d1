// Unit-stride float64 sums, any x86-64: four partial sums break the add chain.
#include "dot.h"

namespace tensorfold {
namespace {

double sum(const float* x, const float* y, int64_t n) {
  double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t i = 0;
  if (y) {
    for (; i + 4 <= n; i += 4) {
      a0 += static_cast<double>(x[i]) * y[i];
      a1 += static_cast<double>(x[i + 1]) * y[i + 1];
      a2 += static_cast<double>(x[i + 2]) * y[i + 2];
      a3 += static_cast<double>(x[i + 3]) * y[i + 3];
    }
    for (; i < n; ++i) a0 += static_cast<double>(x[i]) * y[i];
  } else {
    for (; i + 4 <= n; i += 4) {
      a0 += x[i];
      a1 += x[i + 1];
      a2 += x[i + 2];
      a3 += x[i + 3];
    }
    for (; i < n; ++i) a0 += x[i];
  }
  return (a0 + a1) + (a2 + a3);
}

}  // namespace

UnitSumKernel unit_sum_generic() { return &sum; }

}  // namespace tensorfold
