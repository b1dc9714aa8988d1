// The oracle for the strided kernels: one loop over every index, float64
// sums, no reordering, no threads.
#include <algorithm>
#include <vector>

#include "strided.h"

namespace tensorfold {

void strided_sum_product_reference(const StridedNest& n) {
  const size_t rank = n.shape.size(), nin = n.in.size();
  for (size_t d = 0; d < rank; ++d)
    if (n.shape[d] == 0 && n.out_strides[d] != 0) return;  // no outputs
  // Sums are kept per output offset, then stored.
  int64_t extent = 0;
  for (size_t d = 0; d < rank; ++d) extent += (n.shape[d] - 1) * n.out_strides[d];
  std::vector<double> sum(static_cast<size_t>(extent) + 1, 0.0);
  std::vector<char> written(sum.size(), 0);
  std::vector<int64_t> idx(rank, 0);
  bool empty_sum = false;
  for (size_t d = 0; d < rank; ++d) empty_sum |= n.shape[d] == 0;
  for (;;) {
    int64_t o = 0;
    for (size_t d = 0; d < rank; ++d) o += idx[d] * n.out_strides[d];
    written[o] = 1;
    if (!empty_sum) {
      double prod = 1.0;
      for (size_t k = 0; k < nin; ++k) {
        int64_t off = 0;
        for (size_t d = 0; d < rank; ++d) off += idx[d] * n.in_strides[k][d];
        prod *= n.in[k][off];
      }
      sum[o] += prod;
    }
    // Next index; an empty summed dim is visited once, as index 0.
    bool done = true;
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < std::max<int64_t>(n.shape[d], 1)) {
        done = false;
        break;
      }
      idx[d] = 0;
    }
    if (done) break;
  }
  for (size_t o = 0; o < sum.size(); ++o)
    if (written[o]) n.out[o] = static_cast<float>(sum[o]);
}

}  // namespace tensorfold
