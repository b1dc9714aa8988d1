import { describe, expect, it } from 'vitest';
import { nmCompress, nmMatmulSync, nmPrune, NMSparseMatrix, TensorfoldError, xoshiroForTests } from './helpers';
import { uniform } from '../helpers/reference';

const PATTERNS: [number, number][] = [[2, 4], [1, 4], [2, 8], [4, 8], [1, 8], [1, 2], [3, 5], [5, 16]];

describe('NMSparseMatrix', () => {
  it.each(PATTERNS)('%i:%i round-trips through compress, toDense and serialize', (n, m) => {
    for (const rows of [1, 15, 16, 17, 40]) {
      const w = uniform([rows, m * 5], rows * 31 + m);
      const p = nmPrune(w, { n, m });
      const s = nmCompress(p, { n, m });
      expect(s.shape).toEqual([rows, m * 5]);
      expect(s.density).toBe(n / m);
      expect(s.toDense().data).toEqual(p.pruned.data);
      const back = NMSparseMatrix.deserialize(s.serialize());
      expect(back.toDense().data).toEqual(p.pruned.data);
      expect(back.export()).toEqual(s.export());
    }
  });

  it('holds values plus ceil(log2 m)-bit indices, within 5% of that at full row blocks', () => {
    for (const [n, m] of PATTERNS) {
      const rows = 768, k = m * 48;
      const s = nmCompress(nmPrune(uniform([rows, k], 1), { n, m }), { n, m });
      const kept = (rows * k * n) / m;
      const ideal = kept * 4 + (kept * Math.ceil(Math.log2(m))) / 8;
      expect(s.bytes / ideal).toBeLessThanOrEqual(1.05);
      expect(s.bytes / ideal).toBeGreaterThanOrEqual(1);
    }
  });

  it('compresses dense weights with at most n nonzeros per group, and rejects more', () => {
    const w = uniform([3, 8], 2);
    for (let i = 0; i < w.size; i++) if (i % 4 !== 1) w.data[i] = 0; // one nonzero per group
    const s = nmCompress(w, { n: 2, m: 4 });
    expect(s.toDense().data).toEqual(w.data);
    expect(() => nmCompress(uniform([3, 8], 3), { n: 2, m: 4 })).toThrow(/row 0 group 0 \(columns 0..3\) has 4 nonzeros, more than n = 2; prune it with nmPrune first/);
    const t = nmCompress(nmPrune(uniform([8, 5], 4), { n: 1, m: 4, axis: 0 }), { n: 1, m: 4 });
    expect(t.shape).toEqual([5, 8]);
  });

  it('rejects corrupt blobs without reading out of bounds (fuzzed)', () => {
    const s = nmCompress(nmPrune(uniform([20, 24], 5), { n: 2, m: 4 }), { n: 2, m: 4 });
    const blob = s.serialize();
    const next = xoshiroForTests(9);
    let rejected = 0, accepted = 0;
    for (let trial = 0; trial < 300; trial++) {
      const bad = blob.slice();
      const flips = 1 + (next() % 4);
      for (let f = 0; f < flips; f++) bad[next() % bad.length] ^= 1 << (next() % 8);
      try {
        const m = NMSparseMatrix.deserialize(bad);
        // Whatever survives validation is a well-formed matrix: the kernel agrees with its dense form.
        const x = uniform([3, 24], trial);
        const y = nmMatmulSync(x, m);
        expect(y.data.every(Number.isFinite) || m.toDense().data.some((v) => !Number.isFinite(v))).toBe(true);
        accepted++;
      } catch (e) {
        expect(e).toBeInstanceOf(TensorfoldError);
        expect((e as TensorfoldError).code).toBe('NM_CORRUPT');
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(50);
    expect(rejected + accepted).toBe(300);
  });

  it('names what is wrong with a corrupt blob', () => {
    const s = nmCompress(nmPrune(uniform([16, 8], 6), { n: 2, m: 4 }), { n: 2, m: 4 });
    const blob = s.serialize();
    expect(() => NMSparseMatrix.deserialize(blob.subarray(0, 3))).toThrow(/too short/);
    expect(() => NMSparseMatrix.deserialize(blob.subarray(0, blob.length - 1))).toThrow(/the header describes/);
    const { values, indices } = s.export();
    indices[0] = 0b00000101; // lane 0 slot 0 -> 1, lane 1 slot 0 -> 1; slot 1 still 1 for lane 0? make it non-increasing
    indices[4] = 0;
    expect(() => new (NMSparseMatrix as unknown as new (...a: unknown[]) => NMSparseMatrix)(values, indices, 16, 8, 2, 4)).toThrow(/corrupt metadata: row 0 group 0 slot 1 has index 0 \(not above the previous slot's 1\)/);
  });
});
