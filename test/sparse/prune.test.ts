import { describe, expect, it } from 'vitest';
import { nmPrune, randn, Tensor } from '../../lib/index';
import { uniform } from '../helpers/reference';

const PATTERNS: [number, number][] = [[2, 4], [1, 4], [2, 8], [4, 8], [1, 8], [1, 2], [3, 5], [5, 16]];

/** Weights with structure: row scales and a few dominant input channels. */
function structured(rows: number, k: number, seed: number): Tensor {
  const w = randn([rows, k], seed);
  for (let o = 0; o < rows; o++)
    for (let j = 0; j < k; j++) w.data[o * k + j] *= (1 + (o % 7)) * (j % 13 === 0 ? 6 : 1);
  return w;
}

describe('nmPrune', () => {
  it.each(PATTERNS)('%i:%i keeps exactly n per group, the largest by magnitude', (n, m) => {
    const rows = 9, k = m * 6;
    const w = uniform([rows, k], n * 100 + m);
    const r = nmPrune(w, { n, m });
    for (let o = 0; o < rows; o++)
      for (let g = 0; g < k; g += m) {
        const kept = [], dropped = [];
        for (let j = 0; j < m; j++) (r.mask[o * k + g + j] ? kept : dropped).push(Math.abs(w.data[o * k + g + j]));
        expect(kept).toHaveLength(n);
        expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...dropped));
        for (let j = 0; j < m; j++) expect(r.pruned.data[o * k + g + j]).toBe(r.mask[o * k + g + j] ? w.data[o * k + g + j] : 0);
      }
  });

  it('breaks ties toward the lower index, deterministically', () => {
    const w = new Tensor(new Float32Array([1, 1, 1, 1, 2, 2, 2, 2]), [1, 8]);
    expect(Array.from(nmPrune(w, { n: 2, m: 4 }).mask)).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
  });

  it('reports the weight error and kept magnitude exactly', () => {
    const w = uniform([5, 16], 3);
    const r = nmPrune(w, { n: 2, m: 4 });
    let diff = 0, norm = 0, kept = 0, total = 0;
    for (let i = 0; i < w.size; i++) {
      norm += w.data[i] ** 2;
      total += Math.abs(w.data[i]);
      if (r.mask[i]) kept += Math.abs(w.data[i]);
      else diff += w.data[i] ** 2;
    }
    expect(r.weightError).toBeCloseTo(Math.sqrt(diff / norm), 12);
    expect(r.keptMagnitude).toBeCloseTo(kept / total, 12);
  });

  it('prunes along axis 0 for [in, out] weights', () => {
    const w = uniform([12, 5], 4);
    const r = nmPrune(w, { n: 1, m: 4, axis: 0 });
    for (let o = 0; o < 5; o++)
      for (let g = 0; g < 12; g += 4) {
        let c = 0;
        for (let j = 0; j < 4; j++) c += r.mask[(g + j) * 5 + o];
        expect(c).toBe(1);
      }
  });

  it('calibration scores weigh channels by activation norm and measure output error', () => {
    // Channel 1 is large in the weight but never active; calibration keeps channel 0.
    const w = new Tensor(new Float32Array([1, 2, 0.1, 0.1]), [1, 4]);
    const x = new Tensor(new Float32Array([5, 0, 0.1, 0.1, 4, 0, 0.2, 0.1]), [2, 4]);
    expect(Array.from(nmPrune(w, { n: 1, m: 4 }).mask)).toEqual([0, 1, 0, 0]);
    const c = nmPrune(w, { n: 1, m: 4, method: 'calibration', activations: x });
    expect(Array.from(c.mask)).toEqual([1, 0, 0, 0]);
    expect(c.outputError).toBeGreaterThan(0);
    expect(c.outputError).toBeLessThan(0.05);
    const mag = nmPrune(w, { n: 1, m: 4, method: 'magnitude', activations: x });
    expect(mag.outputError).toBeGreaterThan(0.9);
  });

  it.each([[2, 4], [1, 4], [2, 8]] as [number, number][])('%i:%i transposable masks are n:m along both axes', (n, m) => {
    const w = uniform([2 * m, 3 * m], 7 + m);
    const r = nmPrune(w, { n, m, transposable: true });
    const rows = 2 * m, k = 3 * m;
    for (let o = 0; o < rows; o++)
      for (let g = 0; g < k; g += m) {
        let c = 0;
        for (let j = 0; j < m; j++) c += r.mask[o * k + g + j];
        expect(c).toBe(n);
      }
    for (let j = 0; j < k; j++)
      for (let g = 0; g < rows; g += m) {
        let c = 0;
        for (let o = 0; o < m; o++) c += r.mask[(g + o) * k + j];
        expect(c).toBe(n);
      }
  });

  it('a transposable 2:4 mask is optimal per block (exhaustive)', () => {
    const w = uniform([4, 4], 11);
    const r = nmPrune(w, { n: 2, m: 4, transposable: true });
    let best = 0;
    for (let a = 0; a < 1 << 16; a++) {
      let ok = true, s = 0;
      for (let i = 0; i < 4 && ok; i++) {
        let rc = 0, cc = 0;
        for (let j = 0; j < 4; j++) {
          rc += (a >> (i * 4 + j)) & 1;
          cc += (a >> (j * 4 + i)) & 1;
        }
        ok = rc === 2 && cc === 2;
      }
      if (!ok) continue;
      for (let i = 0; i < 16; i++) if ((a >> i) & 1) s += Math.abs(w.data[i]);
      best = Math.max(best, s);
    }
    let got = 0;
    for (let i = 0; i < 16; i++) if (r.mask[i]) got += Math.abs(w.data[i]);
    expect(got).toBeCloseTo(best, 5);
  });

  it('a channel permutation keeps more magnitude on structured weights', () => {
    const w = structured(64, 128, 5);
    const r = nmPrune(w, { n: 2, m: 4, permute: { trials: 4000, seed: 1 } });
    const perm = Array.from(r.permutation!);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: 128 }, (_, i) => i));
    expect(r.keptMagnitude).toBeGreaterThan(r.keptMagnitudeUnpermuted!);
    // The pruned weight holds the permuted channels.
    for (let o = 0; o < 64; o++)
      for (let j = 0; j < 128; j++)
        if (r.mask[o * 128 + j]) expect(r.pruned.data[o * 128 + j]).toBe(w.data[o * 128 + perm[j]]);
  });

  it('rejects bad input with clear errors', () => {
    const w = uniform([4, 8], 1);
    expect(() => nmPrune(w, { n: 4, m: 4 })).toThrow(/options.n must be below options.m, got 4:4/);
    expect(() => nmPrune(w, { n: 1, m: 17 })).toThrow(/options.m must be an integer in \[2, 16\], got 17/);
    expect(() => nmPrune(w, { n: 1.5, m: 4 })).toThrow(/options.n must be an integer/);
    expect(() => nmPrune(uniform([4, 10], 1), { n: 2, m: 4 })).toThrow(/reduction dim \(weight dim 1\) is 10, not a multiple of m = 4; pad the weight with zero columns .* to 12/);
    expect(() => nmPrune(uniform([2, 2, 4], 1), { n: 2, m: 4 })).toThrow(/weight must be 2-D/);
    expect(() => nmPrune(w, { n: 2, m: 4, method: 'calibration' })).toThrow(/needs options.activations/);
    expect(() => nmPrune(w, { n: 2, m: 4, activations: uniform([3, 7], 1) })).toThrow(/activations must be \[tokens, 8\]/);
    expect(() => nmPrune(new Tensor(new Float32Array([NaN, 0, 0, 0]), [1, 4]), { n: 2, m: 4 })).toThrow(/non-finite value at flat index 0/);
    expect(() => nmPrune(uniform([6, 8], 1), { n: 2, m: 4, transposable: true })).toThrow(/both dims divisible by m = 4/);
  });
});
