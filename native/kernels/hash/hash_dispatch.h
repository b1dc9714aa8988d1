// Which tier's hash kernels run: the one place that decides, including the
// VPOPCNTDQ popcount, which is used only when the CPU reports it.
#pragma once
#include "../../core/cpu_features.h"
#include "hash_kernels.h"

namespace tensorfold {

const HashTierKernels& hash_kernels_for(IsaTier tier);
const HammingKernels& hamming_kernels_for(IsaTier tier, bool portable_popcount);

// Threads worth waking for `work` units of about a cycle each.
int hash_threads(int max_threads, int64_t units, double work);

}  // namespace tensorfold
