// Offsets of an einsum's intermediates inside one buffer. A program runs its
// steps in order, so the region of an intermediate whose last reader has run
// can hold a later one; first fit keeps the buffer near the peak of what is
// live at once. Planned from shapes alone, so it is cached with the program.

/** Regions start on 64-byte boundaries, as the kernels' own buffers do. */
const ALIGN = 16;

export interface Region {
  readonly offset: number;
  readonly size: number;
}

export class ArenaPlanner {
  /** Free regions below `top`, sorted by offset, never adjacent. */
  private readonly holes: { offset: number; size: number }[] = [];
  private top = 0;
  private peak = 0;

  /** Elements the buffer needs for everything allocated so far. */
  get size(): number {
    return this.peak;
  }

  alloc(elements: number): Region {
    const size = Math.max(ALIGN, Math.ceil(elements / ALIGN) * ALIGN);
    for (let i = 0; i < this.holes.length; i++) {
      const h = this.holes[i];
      if (h.size < size) continue;
      const region = { offset: h.offset, size };
      if (h.size === size) this.holes.splice(i, 1);
      else this.holes[i] = { offset: h.offset + size, size: h.size - size };
      return region;
    }
    const region = { offset: this.top, size };
    this.top += size;
    this.peak = Math.max(this.peak, this.top);
    return region;
  }

  release(r: Region): void {
    let i = 0;
    while (i < this.holes.length && this.holes[i].offset < r.offset) i++;
    this.holes.splice(i, 0, { offset: r.offset, size: r.size });
    // Merge with the next hole, then the previous one.
    if (i + 1 < this.holes.length && this.holes[i].offset + this.holes[i].size === this.holes[i + 1].offset) {
      this.holes[i].size += this.holes[i + 1].size;
      this.holes.splice(i + 1, 1);
    }
    if (i > 0 && this.holes[i - 1].offset + this.holes[i - 1].size === this.holes[i].offset) {
      this.holes[i - 1].size += this.holes[i].size;
      this.holes.splice(i, 1);
      i--;
    }
    // A hole at the top shrinks the used part instead.
    const last = this.holes[this.holes.length - 1];
    if (last && last.offset + last.size === this.top) {
      this.top = last.offset;
      this.holes.pop();
    }
  }
}
