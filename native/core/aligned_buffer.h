// Aligned scratch memory that grows on demand and is reused between calls.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

#include "huge_pages.h"

namespace tensorfold {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  // Returns at least `count` floats, 64-byte aligned. Contents are not kept
  // across growth. Throws std::bad_alloc when memory runs out.
  float* floats(size_t count) {
    size_t bytes = (count * sizeof(float) + 63) & ~size_t{63};
    if (bytes > capacity_) {
      std::free(data_);
      data_ = std::aligned_alloc(64, bytes);
      if (!data_) {
        capacity_ = 0;
        throw std::bad_alloc();
      }
      capacity_ = bytes;
      advise_huge_pages(data_, bytes);
    }
    return static_cast<float*>(data_);
  }

 // What the last floats() returned (nullptr before any).
  const float* data() const { return static_cast<const float*>(data_); }

 private:
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace tensorfold
