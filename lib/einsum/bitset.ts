// Index sets for the path planner. A set is a fixed number of 32-bit words,
// so that the search loops work on integers and never allocate; an expression
// rarely has more than 32 indices, so one word is the common case.

/** The indices of one expression: their sizes and the width of a set. */
export class IndexSpace {
  /** Words per set. */
  readonly words: number;
  readonly sizes: Float64Array;
  /** Product of sizes for every byte of every word: sizeOf costs 4 lookups a word. */
  private readonly byteProducts: Float64Array;

  constructor(sizes: readonly number[]) {
    this.words = Math.max(1, Math.ceil(sizes.length / 32));
    this.sizes = Float64Array.from(sizes);
    const table = new Float64Array(this.words * 4 * 256);
    for (let chunk = 0; chunk < this.words * 4; chunk++) {
      const base = chunk * 256;
      table[base] = 1;
      for (let b = 1; b < 256; b++) {
        const low = b & -b;
        const index = chunk * 8 + 31 - Math.clz32(low);
        table[base + b] = table[base + (b ^ low)] * (index < sizes.length ? sizes[index] : 1);
      }
    }
    this.byteProducts = table;
  }

  empty(): Uint32Array {
    return new Uint32Array(this.words);
  }

  of(indices: Iterable<number>): Uint32Array {
    const set = this.empty();
    for (const i of indices) set[i >>> 5] |= 1 << (i & 31);
    return set;
  }

  /** Product of the sizes of the indices in the set stored at `set[off...]`. */
  sizeOf(set: Uint32Array, off = 0): number {
    const t = this.byteProducts;
    let product = 1;
    for (let w = 0; w < this.words; w++) {
      const x = set[off + w];
      if (x === 0) continue;
      const base = w * 1024;
      product *= t[base + (x & 255)] * t[base + 256 + ((x >>> 8) & 255)] * t[base + 512 + ((x >>> 16) & 255)] * t[base + 768 + (x >>> 24)];
    }
    return product;
  }
}

export function union(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length);
  for (let w = 0; w < a.length; w++) out[w] = a[w] | b[w];
  return out;
}

export function intersect(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length);
  for (let w = 0; w < a.length; w++) out[w] = a[w] & b[w];
  return out;
}

export function minus(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length);
  for (let w = 0; w < a.length; w++) out[w] = a[w] & ~b[w];
  return out;
}

export function isEmpty(a: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if (a[w] !== 0) return false;
  return true;
}

export function equal(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return false;
  return true;
}

export function intersects(a: Uint32Array, b: Uint32Array): boolean {
  for (let w = 0; w < a.length; w++) if ((a[w] & b[w]) !== 0) return true;
  return false;
}

/** A Map key for a set: the word itself when one word suffices. */
export function setKey(a: Uint32Array): number | string {
  return a.length === 1 ? a[0] : a.join(',');
}

/** The members of a set, ascending. */
export function members(a: Uint32Array): number[] {
  const out: number[] = [];
  for (let w = 0; w < a.length; w++) {
    let x = a[w];
    while (x !== 0) {
      const low = x & -x;
      out.push(w * 32 + 31 - Math.clz32(low));
      x ^= low;
    }
  }
  return out;
}
