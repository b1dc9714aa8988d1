// Arrays for programs' intermediates, kept between calls. A fresh large
// Float32Array is zeroed and then faulted in page by page on first touch:
// on the reference host a 512-row tensor-train layer (ranks 16) spent 47 of
// its 97 ms there. Each running program owns the array it takes, so
// concurrent async einsums never share one; a sync call always finds the
// array the previous call gave back.

import { uninitialized } from '../memory';

export class ArenaPool {
  private free: Float32Array[] = [];

  /** Keeps at most `maxKept` arrays holding at most `maxElements` elements together. */
  constructor(
    private readonly maxKept: number,
    private readonly maxElements: number,
  ) {}

  /** The smallest kept array with room for `elements`, or a new one (which may throw). */
  take(elements: number): Float32Array {
    let best = -1;
    this.free.forEach((a, i) => {
      if (a.length >= elements && (best < 0 || a.length < this.free[best].length)) best = i;
    });
    if (best >= 0) return this.free.splice(best, 1)[0];
    // Every intermediate is written whole before it is read.
    return uninitialized(elements);
  }

  /** Returns an array taken earlier; the largest ones are kept within the limits. */
  give(a: Float32Array): void {
    const kept = [...this.free, a].sort((x, y) => y.length - x.length);
    this.free = [];
    let total = 0;
    for (const x of kept) {
      if (this.free.length === this.maxKept || total + x.length > this.maxElements) continue;
      this.free.push(x);
      total += x.length;
    }
  }

  clear(): void {
    this.free = [];
  }
}
