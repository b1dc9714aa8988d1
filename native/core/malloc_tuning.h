// Freed memory kept for reuse. Outputs that JavaScript drops are freed in
// batches when the garbage collector runs; glibc then returns the whole batch
// to the OS (its heap top passes the trim threshold), and every new output
// is faulted in again 4 KiB at a time: a 1.5 MB GEMM output cost ~380 faults,
// about as long as the product itself (docs/PERF.md, GEMM item 24). Raising
// the mmap and trim thresholds lets those outputs reuse warm memory, as
// NumPy's do (it frees each array at once, so it never meets the trim).
#pragma once
#include <cstddef>

namespace tensorfold {

struct MallocTuning {
  bool active = false;      // thresholds raised by tensorfold
  size_t reuse_below = 0;   // allocations below this many bytes come from the heap
  const char* reason = "";  // why not active: "disabled", "GLIBC_TUNABLES", "not glibc"
};

// Applies the tuning once per process (TENSORFOLD_MALLOC=system, or malloc
// settings in GLIBC_TUNABLES, leave the allocator as it is) and says what it did.
const MallocTuning& tune_malloc();

}  // namespace tensorfold
