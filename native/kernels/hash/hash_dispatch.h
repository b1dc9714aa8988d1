// Which tier's hash kernels run: the one place that decides, including the
// VPOPCNTDQ popcount, which is used only when the CPU reports it.
#pragma once
#include "../../core/cpu_features.h"
#include "hash_kernels.h"

namespace tensorfold {

const HashTierKernels& hash_kernels_for(IsaTier tier);
const HammingKernels& hamming_kernels_for(IsaTier tier, bool portable_popcount);

// out (rows x dim) (+)= p (rows x cols) v (cols x dim) where row r may use
// columns j < diag + r + 1 (kNoCausal: all); masked values are never read.
void accumulate_pv(IsaTier tier, const float* p, int64_t ldp, int64_t rows, int64_t cols, int64_t diag,
                   const float* v, int64_t ldv, int64_t dim, float* out, int64_t ldo, bool accumulate);

// Threads worth waking for `work` units of about a cycle each.
int hash_threads(int max_threads, int64_t units, double work);

}  // namespace tensorfold
