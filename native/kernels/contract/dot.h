// Unit-stride sums in float64 for the sum-of-products kernel (reduce.cc): a
// row sum or a dot product, the inner loop of reduce-sums, traces and
// batched dot / matrix-vector steps. Widening floats to doubles is the
// bottleneck (one SSE2 conversion per two elements: about 0.45 ns an element
// on the reference host), so each ISA tier has its own: AVX-512 widens eight
// at a time. Products are exact in float64, sums rounded in float64, on
// every tier; only the order of the partial sums differs.
//
// The per-tier files include nothing but this header and the intrinsics, so
// no inline function compiled with a higher tier's flags can be picked by
// the linker for another tier's caller.
#pragma once
#include <cstdint>

namespace tensorfold {

// Σ x[i] (y == nullptr) or Σ x[i] * y[i], i < n.
using UnitSumKernel = double (*)(const float* x, const float* y, int64_t n);

UnitSumKernel unit_sum_generic();
UnitSumKernel unit_sum_avx2();
UnitSumKernel unit_sum_avx512();

}  // namespace tensorfold
