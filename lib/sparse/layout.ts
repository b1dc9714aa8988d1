// The N:M compressed layout shared with the native kernels and files
// (docs/nm-format.md): rows in blocks of 16 lanes; per (row block, group,
// slot) 16 float32 values and one index record of 16 lanes x `bits` bits,
// least significant bits first. Padding lanes hold zero values and indices
// 0..n-1.
export const LANES = 16;

export function indexBits(m: number): number {
  let b = 1;
  while (1 << b < m) b++;
  return b;
}

export interface NMLayout {
  rows: number;
  k: number;
  n: number;
  m: number;
  bits: number;
  groups: number;
  rowBlocks: number;
  recordBytes: number;
  valueCount: number;
  indexBytes: number;
}

export function nmLayout(rows: number, k: number, n: number, m: number): NMLayout {
  const bits = indexBits(m);
  const groups = k / m, rowBlocks = Math.ceil(rows / LANES);
  const records = rowBlocks * groups * n;
  return { rows, k, n, m, bits, groups, rowBlocks, recordBytes: 2 * bits, valueCount: records * LANES, indexBytes: records * 2 * bits };
}

function writeIndex(buf: Uint8Array, recordStart: number, lane: number, bits: number, value: number): void {
  const bit = lane * bits;
  const byte = recordStart + (bit >> 3), shift = bit & 7;
  const v = value << shift; // at most 4 + 7 bits: spans two bytes
  buf[byte] |= v & 0xff;
  if (v > 0xff) buf[byte + 1] |= v >> 8;
}

export function readIndex(buf: Uint8Array, recordStart: number, lane: number, bits: number): number {
  const bit = lane * bits;
  const byte = recordStart + (bit >> 3), shift = bit & 7;
  const word = buf[byte] | ((buf[byte + 1] ?? 0) << 8);
  return (word >> shift) & ((1 << bits) - 1);
}

/**
 * Packs a dense rows x k weight whose `mask` keeps exactly n of every m along
 * k. Returns the values and index records in the layout above.
 */
export function encodeNM(dense: Float32Array, mask: Uint8Array, L: NMLayout): { values: Float32Array; indices: Uint8Array } {
  const values = new Float32Array(L.valueCount);
  const indices = new Uint8Array(L.indexBytes + 1); // +1: a straddling write of the last record stays inside
  for (let rb = 0; rb < L.rowBlocks; rb++)
    for (let g = 0; g < L.groups; g++) {
      const base = (rb * L.groups + g) * L.n;
      for (let lane = 0; lane < LANES; lane++) {
        const o = rb * LANES + lane;
        let s = 0;
        if (o < L.rows) {
          for (let j = 0; j < L.m && s < L.n; j++) {
            const p = o * L.k + g * L.m + j;
            if (!mask[p]) continue;
            values[(base + s) * LANES + lane] = dense[p];
            writeIndex(indices, (base + s) * L.recordBytes, lane, L.bits, j);
            s++;
          }
        } else {
          for (; s < L.n; s++) writeIndex(indices, (base + s) * L.recordBytes, lane, L.bits, s);
        }
      }
    }
  return { values, indices: indices.subarray(0, L.indexBytes) };
}

/** The dense rows x k weight a compressed layout stands for. */
export function decodeNM(values: Float32Array, indices: Uint8Array, L: NMLayout): Float32Array {
  const dense = new Float32Array(L.rows * L.k);
  for (let rb = 0; rb < L.rowBlocks; rb++)
    for (let g = 0; g < L.groups; g++) {
      const base = (rb * L.groups + g) * L.n;
      for (let lane = 0; lane < LANES && rb * LANES + lane < L.rows; lane++)
        for (let s = 0; s < L.n; s++) {
          const j = readIndex(indices, (base + s) * L.recordBytes, lane, L.bits);
          dense[(rb * LANES + lane) * L.k + g * L.m + j] = values[(base + s) * LANES + lane];
        }
    }
  return dense;
}
