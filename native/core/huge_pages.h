// Large buffers backed by transparent huge pages. A fresh multi-megabyte
// buffer is faulted in page by page on first touch; with 4 KiB pages that is
// one fault per 4 KiB (about 3.5 ms per MiB measured under a VM here, more
// than a large GEMM's own time per MiB of output), with 2 MiB pages one per
// 2 MiB. Advice only: where the OS has no huge pages nothing changes.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

namespace tensorfold {

// Below this many bytes a buffer is left as it is.
constexpr size_t kHugePageMinBytes = size_t{4} << 20;

// Asks for huge pages on the whole 2 MiB pages inside [p, p + bytes). Call it
// before the memory is first written.
void advise_huge_pages(void* p, size_t bytes);

// Where n bytes start inside a buffer of huge_page_span(n) bytes at p so
// that they lie on whole 2 MiB pages: an array whose allocator cannot align
// it (V8's) is over-allocated by up to 4 MiB and viewed from there, so no
// 4 KiB pages remain at its ends (under a VM here, 512 of them cost 5 ms).
size_t huge_page_span(size_t bytes);
size_t huge_page_offset(const void* p, size_t bytes);

// An allocator for long-lived large arrays (compressed weights): from
// kHugePageMinBytes on, memory is 2 MiB aligned and advised, so all of it can
// sit on huge pages and a kernel streaming it takes a TLB miss per 2 MiB.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(size_t n) {
    constexpr size_t kHuge = size_t{2} << 20;
    const size_t bytes = n * sizeof(T);
    void* p = bytes >= kHugePageMinBytes ? std::aligned_alloc(kHuge, (bytes + kHuge - 1) / kHuge * kHuge)
                                         : std::malloc(bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    advise_huge_pages(p, bytes);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const HugePageAllocator<U>&) const { return false; }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace tensorfold
