import { describe, expect, it } from 'vitest';
import { tensorizations } from '../../lib/index';

describe('tensorizations', () => {
  it('lists every factorization into d factors >= 2, most balanced first', () => {
    const t = tensorizations(768, { factors: 3 });
    expect(t[0]).toEqual([8, 8, 12]);
    for (const f of t) {
      expect(f).toHaveLength(3);
      expect(f.reduce((p, x) => p * x, 1)).toBe(768);
      expect(f.every((x) => x >= 2)).toBe(true);
      expect([...f].sort((a, b) => a - b)).toEqual(f);
    }
    const spread = (f: number[]) => Math.max(...f) / Math.min(...f);
    for (let i = 1; i < t.length; i++) expect(spread(t[i])).toBeGreaterThanOrEqual(spread(t[i - 1]));
    expect(new Set(t.map((f) => f.join())).size).toBe(t.length);
    expect(tensorizations(768)[0]).toEqual([24, 32]);
    expect(tensorizations(3072, 2)[0]).toEqual([48, 64]);
  });

  it('lists orderings on request and honours a limit', () => {
    expect(tensorizations(12, { factors: 2, permutations: true })).toEqual([[3, 4], [4, 3], [2, 6], [6, 2]]);
    expect(tensorizations(768, { factors: 3, limit: 2 })).toHaveLength(2);
  });

  it('has nothing for a prime into two or more factors, and [n] for one', () => {
    expect(tensorizations(769, 2)).toEqual([]);
    expect(tensorizations(769, 1)).toEqual([[769]]);
  });

  it('rejects bad arguments', () => {
    expect(() => tensorizations(0)).toThrow(RangeError);
    expect(() => tensorizations(12.5)).toThrow(/tensorizations: n must be an integer/);
    expect(() => tensorizations(12, { factors: 0 })).toThrow(/options.factors/);
  });
});
