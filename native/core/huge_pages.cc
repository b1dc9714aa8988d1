#include "huge_pages.h"

#include <cstddef>
#include <cstdint>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace tensorfold {

void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < kHugePageMinBytes) return;
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // advice: failure is harmless
#else
  (void)p;
  (void)bytes;
#endif
}

namespace {
constexpr size_t kHugeBytes = size_t{2} << 20;
size_t round_up_huge(size_t n) { return (n + kHugeBytes - 1) / kHugeBytes * kHugeBytes; }
}  // namespace

size_t huge_page_span(size_t bytes) {
  return bytes < kHugePageMinBytes ? bytes : round_up_huge(bytes) + kHugeBytes;
}

size_t huge_page_offset(const void* p, size_t bytes) {
  if (bytes < kHugePageMinBytes) return 0;
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  return round_up_huge(at) - at;
}

}  // namespace tensorfold
