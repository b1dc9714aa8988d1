// Output memory for kernels. A fresh multi-megabyte Float32Array is faulted
// in 4 KiB at a time on first touch, which can cost more than the kernel that
// fills it (a 32 MB GEMM output: 115 ms of faults against 100 ms of
// arithmetic on the reference host); the addon's outputArray advises such
// arrays onto huge pages (2 MiB faults) before anything touches them.
import { native } from './native';

/** From this many elements (4 MiB) an output goes through the addon. */
export const HUGE_PAGE_MIN_ELEMENTS = (4 << 20) / 4;

/** A zeroed Float32Array of n elements for a kernel to write. */
export function outputArray(n: number): Float32Array {
  return n >= HUGE_PAGE_MIN_ELEMENTS ? native().outputArray(n) : new Float32Array(n);
}
