// Large buffers backed by transparent huge pages. A fresh multi-megabyte
// buffer is faulted in page by page on first touch; with 4 KiB pages that is
// one fault per 4 KiB (about 3.5 ms per MiB measured under a VM here, more
// than a large GEMM's own time per MiB of output), with 2 MiB pages one per
// 2 MiB. Advice only: where the OS has no huge pages nothing changes.
#pragma once
#include <cstddef>

namespace tensorfold {

// Below this many bytes a buffer is left as it is.
constexpr size_t kHugePageMinBytes = size_t{4} << 20;

// Asks for huge pages on the whole 2 MiB pages inside [p, p + bytes). Call it
// before the memory is first written.
void advise_huge_pages(void* p, size_t bytes);

}  // namespace tensorfold
