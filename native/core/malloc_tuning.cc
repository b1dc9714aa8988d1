#include "malloc_tuning.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tensorfold {
namespace {

// glibc's largest mmap threshold on 64-bit (half its 64 MiB per-thread heaps).
constexpr size_t kMmapThreshold = size_t{32} << 20;
// Free memory at the heap top kept before trimming: room for the outputs one
// garbage collection frees (V8 collects after ~64 MB of external memory).
constexpr size_t kTrimThreshold = size_t{256} << 20;

MallocTuning apply() {
  MallocTuning t;
  const char* mode = std::getenv("TENSORFOLD_MALLOC");
  if (mode && std::strcmp(mode, "system") == 0) {
    t.reason = "disabled";
    return t;
  }
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.")) {
    t.reason = "GLIBC_TUNABLES";
    return t;
  }
#if defined(__GLIBC__)
  // Either setting alone turns off glibc's adaptive threshold, so set both.
  if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(kMmapThreshold)) == 1 &&
      mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimThreshold)) == 1) {
    t.active = true;
    t.reuse_below = kMmapThreshold;
  } else {
    t.reason = "mallopt refused";
  }
#else
  t.reason = "not glibc";
#endif
  return t;
}

}  // namespace

const MallocTuning& tune_malloc() {
  static std::once_flag once;
  static MallocTuning tuning;
  std::call_once(once, [] { tuning = apply(); });
  return tuning;
}

}  // namespace tensorfold
