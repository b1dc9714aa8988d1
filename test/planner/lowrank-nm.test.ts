import { describe, expect, it } from 'vitest';
import { Tensor } from '../../lib/index';
import { factorsToDense, lowrankNmFits, lowrankNmParams, pruneLowrankFactors, splitTruncated } from '../../lib/planner/lowrank-nm';
import { syntheticActivations, syntheticLayer } from '../../lib/planner/synthetic';

function keptPerGroup(t: Tensor, m: number): Set<number> {
  const [rows, k] = t.shape, counts = new Set<number>();
  for (let r = 0; r < rows; r++)
    for (let g = 0; g < k; g += m) {
      let c = 0;
      for (let j = g; j < g + m; j++) if (t.data[r * k + j] !== 0) c++;
      counts.add(c);
    }
  return counts;
}

describe('low rank with N:M factors', () => {
  const layer = syntheticLayer(40, 56, 3);
  const x = syntheticActivations(96, 56, 5);

  it('prunes both factors n:m along their reduction dims', () => {
    const f = splitTruncated(layer.u, layer.sigma, layer.v, 16);
    expect([f.u.shape, f.v.shape]).toEqual([[40, 16], [16, 56]]);
    for (const [n, m] of [[2, 4], [4, 8], [1, 4]]) {
      const p = pruneLowrankFactors(f.u, f.v, n, m, x);
      expect(keptPerGroup(p.u, m)).toEqual(new Set([n]));
      expect(keptPerGroup(p.v, m)).toEqual(new Set([n]));
      // Kept entries are the factor's own values.
      for (const [a, b] of [[p.u, f.u], [p.v, f.v]]) for (let i = 0; i < a.size; i++) if (a.data[i] !== 0) expect(a.data[i]).toBe(b.data[i]);
    }
    expect(lowrankNmParams(56, 40, 16, 2, 4)).toBe(16 * 96 / 2);
    expect([lowrankNmFits(56, 16, 8), lowrankNmFits(56, 12, 8), lowrankNmFits(60, 16, 8)]).toEqual([true, false, false]);
  });

  it('with activations, does not depend on how the singular values are split between the factors', () => {
    const f = splitTruncated(layer.u, layer.sigma, layer.v, 16);
    // Move a factor of 4^c from V's row c to U's column c: the same product, other magnitudes.
    const u2 = new Tensor(Float32Array.from(f.u.data), f.u.shape), v2 = new Tensor(Float32Array.from(f.v.data), f.v.shape);
    for (let c = 0; c < 16; c++) {
      const s = 4 ** ((c % 4) - 1.5);
      for (let i = 0; i < 40; i++) u2.data[i * 16 + c] *= s;
      for (let j = 0; j < 56; j++) v2.data[c * 56 + j] /= s;
    }
    const a = factorsToDense(pruneLowrankFactors(f.u, f.v, 2, 4, x));
    const b = factorsToDense(pruneLowrankFactors(u2, v2, 2, 4, x));
    let num = 0, den = 0;
    for (let i = 0; i < a.size; i++) {
      num += (a.data[i] - b.data[i]) ** 2;
      den += a.data[i] ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
  });
});
