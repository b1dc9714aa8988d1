#include "hash_dispatch.h"

#include <algorithm>

#include "../../core/thread_pool.h"
#include "hash_attention.h"

namespace tensorfold {

const HashTierKernels& hash_kernels_for(IsaTier tier) {
  switch (tier) {
    case IsaTier::kAvx512: return hash_kernels_avx512();
    case IsaTier::kAvx2: return hash_kernels_avx2();
    default: return hash_kernels_generic();
  }
}

const HammingKernels& hamming_kernels_for(IsaTier tier, bool portable_popcount) {
  const CpuFeatures& f = cpu_features();
  // The VPOPCNTDQ library is compiled with flags no other tier assumes: it is
  // reached only on the AVX-512 tier of a CPU (and OS) that has the feature.
  if (tier == IsaTier::kAvx512 && !portable_popcount && f.avx512_vpopcntdq && f.os_avx512)
    return hamming_kernels_vpopcnt();
  return hash_kernels_for(tier).hamming;
}

const char* hash_popcount_name(IsaTier tier, bool portable_popcount) {
  return hamming_kernels_for(tier, portable_popcount).name;
}

MaskedAddProbe masked_add_probe(IsaTier tier) {
  const HashTierKernels& k = hash_kernels_for(tier);
  return MaskedAddProbe{k.masked_add_peak, k.peak_adds_per_iter};
}

int hash_threads(int max_threads, int64_t units, double work) {
  const int pool = pool_threads();
  int nt = max_threads > 0 ? std::min(max_threads, pool) : pool;
  // Below about a million operations per thread, waking workers costs more.
  const double by_work = std::max(1.0, work / (1 << 20));
  nt = static_cast<int>(std::min<double>(nt, by_work));
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(nt, units)));
}

}  // namespace tensorfold
