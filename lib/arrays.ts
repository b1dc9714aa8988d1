// Output memory for kernels. A fresh multi-megabyte Float32Array is faulted
// in 4 KiB at a time on first touch, which can cost more than the kernel that
// fills it (a 32 MB GEMM output: 115 ms of faults against 100 ms of
// arithmetic on the reference host). Two remedies, by size: below glibc's
// raised mmap threshold (native/core/malloc_tuning.h) arrays come from a heap
// that keeps freed memory warm; above it, or where the allocator is not tuned,
// from 4 MiB on, the addon's outputArray advises them onto huge pages (2 MiB
// faults) before anything touches them.
import { native } from './native';

/** From this many elements (4 MiB) an output may go through the addon. */
export const HUGE_PAGE_MIN_ELEMENTS = (4 << 20) / 4;

let freshMappingFrom: number | undefined;

/** Elements from which an array is a fresh mapping, so huge pages pay. */
function hugePagesFrom(): number {
  if (freshMappingFrom === undefined) {
    const m = native().info().malloc;
    freshMappingFrom = Math.max(HUGE_PAGE_MIN_ELEMENTS, m.tuned ? m.reuseBelowBytes / 4 : 0);
  }
  return freshMappingFrom;
}

/** A zeroed Float32Array of n elements for a kernel to write. */
export function outputArray(n: number): Float32Array {
  return n >= hugePagesFrom() ? native().outputArray(n) : new Float32Array(n);
}

/**
 * A Float32Array of its own ArrayBuffer with whatever the allocator had in
 * it: only for arrays every element of which is written before it is read.
 * A zeroed array of a few MB costs about 45 us per MB (zeroing, and page
 * faults on first touch); an unzeroed one that reuses freed memory about 3,
 * which is what NumPy's outputs cost too.
 */
export function uninitialized(elements: number): Float32Array {
  // Fresh mappings are zeroed for free: put them on huge pages.
  if (elements >= hugePagesFrom()) return outputArray(elements);
  const b = Buffer.allocUnsafeSlow(elements * 4);
  return new Float32Array(b.buffer, b.byteOffset, elements);
}

/**
 * A zeroed Float32Array for data that lives long (the tensors `zeros` and
 * `randn` make: weights, inputs, reused outputs). From 4 MiB on it is a
 * 2 MiB-aligned view on huge pages whatever the heap would give, as NumPy's
 * own large arrays are: a kernel streaming it then meets one TLB entry per
 * 2 MiB (a 9.4 MB weight read in place: 177 against 125 us, docs/PERF.md,
 * GEMM item 31).
 */
export function longLivedArray(n: number): Float32Array {
  return n >= HUGE_PAGE_MIN_ELEMENTS ? native().outputArray(n) : new Float32Array(n);
}
