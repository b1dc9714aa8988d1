// Strided kernels for einsum steps that are not a GEMM: permuted copies,
// elementwise (broadcast) products and sums of products over chosen axes.
//
// Every kernel works on a loop nest: a shape, and per operand one element
// stride for each of its dims. A stride of 0 broadcasts; a repeated index (a
// diagonal) is just the sum of two strides; so views, not copies, describe
// what einsum reads. Strides are non-negative; callers check bounds.
#pragma once
#include <cstdint>
#include <vector>

namespace tensorfold {

struct StridedNest {
  std::vector<int64_t> shape;
  // Operand k is read at in[k][Σ_d i_d * in_strides[k][d]].
  std::vector<const float*> in;
  std::vector<std::vector<int64_t>> in_strides;
  // The result is written at out[Σ_d i_d * out_strides[d]]. In a sum of
  // products a dim whose output stride is 0 is summed over.
  float* out = nullptr;
  std::vector<int64_t> out_strides;
};

// out = in[0]: a permuted or strided copy. Bandwidth-bound: when the
// contiguous dims of source and destination differ it copies in tiles so
// that both sides move whole cache lines.
void strided_permute(const StridedNest& nest, int max_threads = 0);

// out = in[0] * in[1], elementwise; stride-0 dims broadcast (so an outer
// product is a broadcast multiply).
void strided_multiply(const StridedNest& nest, int max_threads = 0);

// out = Σ over the dims with output stride 0 of Π_k in[k], accumulated in
// float64 and rounded once. With one operand this is a reduce-sum; with none
// of the dims summed it is an elementwise product. Any number of operands.
void strided_sum_product(const StridedNest& nest, int max_threads = 0);

// The same, as one plain loop over every index (float64): the oracle.
void strided_sum_product_reference(const StridedNest& nest);

}  // namespace tensorfold
